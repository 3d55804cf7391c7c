//! What every node counts and times, keyed by the node's own counter and stage enums: counts
//! per reason ([`Counters`]) and latency histograms per processing stage ([`StageLatency`]),
//! reported to the runtimes as a [`NodeReport`].

use crate::core::{NodeReport, StageSummary};
use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::time::Duration;

/// A node's counter or stage enum: a snake_case name for logs and diagnostics.
pub trait Named: Copy + Ord {
    fn name(self) -> &'static str;
}

/// Counts per key, all starting at 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counters<C> {
    counts: BTreeMap<C, u64>,
}

impl<C> Default for Counters<C> {
    fn default() -> Self {
        Self { counts: BTreeMap::new() }
    }
}

impl<C: Named> Counters<C> {
    pub fn get(&self, counter: C) -> u64 {
        self.counts.get(&counter).copied().unwrap_or(0)
    }

    pub fn add(&mut self, counter: C, n: u64) {
        *self.counts.entry(counter).or_insert(0) += n;
    }

    pub fn increment(&mut self, counter: C) {
        self.add(counter, 1);
    }

    /// Non-zero counters, in declaration order.
    pub fn non_zero(&self) -> impl Iterator<Item = (C, u64)> + '_ {
        self.counts.iter().filter(|(_, n)| **n > 0).map(|(c, n)| (*c, *n))
    }
}

/// Latency histograms per stage, in microseconds (1 µs .. 1 h, 3 significant digits).
#[derive(Debug, Clone)]
pub struct StageLatency<S> {
    histograms: BTreeMap<S, Histogram<u64>>,
}

impl<S> Default for StageLatency<S> {
    fn default() -> Self {
        Self { histograms: BTreeMap::new() }
    }
}

impl<S: Named> StageLatency<S> {
    pub fn record(&mut self, stage: S, elapsed: Duration) {
        let us = (elapsed.as_micros() as u64).max(1);
        self.histograms
            .entry(stage)
            .or_insert_with(|| {
                Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("constant, valid bounds")
            })
            .saturating_record(us);
    }

    /// Samples recorded for `stage`.
    pub fn samples(&self, stage: S) -> u64 {
        self.histograms.get(&stage).map_or(0, Histogram::len)
    }

    /// Milliseconds at quantile `q` (0..1) of `stage`, or None before the first sample.
    pub fn quantile_ms(&self, stage: S, q: f64) -> Option<f64> {
        let h = self.histograms.get(&stage).filter(|h| !h.is_empty())?;
        Some(h.value_at_quantile(q) as f64 / 1000.0)
    }

    /// p50, p99 and sample count of every stage with samples, by stage name.
    pub fn summaries(&self) -> BTreeMap<String, StageSummary> {
        self.histograms
            .iter()
            .filter(|(_, h)| !h.is_empty())
            .map(|(stage, h)| {
                let ms = |q| h.value_at_quantile(q) as f64 / 1000.0;
                let summary = StageSummary { p50_ms: ms(0.5), p99_ms: ms(0.99), samples: h.len() };
                (stage.name().to_string(), summary)
            })
            .collect()
    }
}

/// A node's report from its counters (`is_problem` picks those that count rejected or degraded
/// input) and its stage latency.
pub fn report<C: Named, S: Named>(
    counters: &Counters<C>,
    is_problem: impl Fn(C) -> bool,
    latency: &StageLatency<S>,
) -> NodeReport {
    let named = |(c, n): (C, u64)| (c.name().to_string(), n);
    NodeReport {
        counters: counters.non_zero().map(named).collect(),
        problems: counters.non_zero().filter(|(c, _)| is_problem(*c)).map(named).collect(),
        latency: latency.summaries(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    enum Thing {
        Received,
        Rejected,
    }

    impl Named for Thing {
        fn name(self) -> &'static str {
            match self {
                Self::Received => "received",
                Self::Rejected => "rejected",
            }
        }
    }

    #[test]
    fn counts_and_latency_make_a_report() {
        let mut counters = Counters::default();
        counters.add(Thing::Received, 3);
        counters.increment(Thing::Rejected);
        assert_eq!(counters.get(Thing::Received), 3);
        let mut latency = StageLatency::default();
        for ms in 1..=100 {
            latency.record(Thing::Received, Duration::from_millis(ms));
        }
        assert_eq!(latency.samples(Thing::Rejected), 0);
        assert_eq!(latency.quantile_ms(Thing::Rejected, 0.5), None);
        let report = report(&counters, |c| c == Thing::Rejected, &latency);
        assert_eq!(report.counters.len(), 2);
        assert_eq!(report.problems.keys().collect::<Vec<_>>(), ["rejected"]);
        let summary = report.latency["received"];
        assert_eq!(summary.samples, 100);
        assert!((summary.p50_ms - 50.0).abs() < 0.1 && (summary.p99_ms - 99.0).abs() < 0.1);
    }
}
