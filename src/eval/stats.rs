//! Summaries of samples: error statistics, and latency as reported.

use serde::Serialize;

/// Mean, median (midpoint of the two middle samples for an even count) and maximum.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub mean: f64,
    pub median: f64,
    pub max: f64,
}

pub fn summary(samples: &[f64]) -> Option<Summary> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 };
    Some(Summary { mean: sorted.iter().sum::<f64>() / n as f64, median, max: sorted[n - 1] })
}

/// p50 and p99 of a stage's latency, in milliseconds. The node records its stages in HDR
/// histograms (3 significant digits), which give these quantiles.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub samples: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_even_and_odd_counts() {
        assert_eq!(
            summary(&[4.0, 1.0, 2.0, 3.0]),
            Some(Summary { mean: 2.5, median: 2.5, max: 4.0 })
        );
        assert_eq!(summary(&[5.0, 1.0, 0.0]), Some(Summary { mean: 2.0, median: 1.0, max: 5.0 }));
        assert_eq!(summary(&[]), None);
    }
}
