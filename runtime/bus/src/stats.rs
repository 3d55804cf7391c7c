//! Counters an operator reads (`Bus::topics`), and the publish-rate estimate.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::qos::Qos;

/// Snapshot of one topic.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicStats {
    pub name: String,
    /// `None` until a publisher or typed subscriber fixed the type.
    pub type_name: Option<&'static str>,
    /// Live publisher handles.
    pub publishers: usize,
    /// Publish calls accepted (also counted with no subscriber; a Reliable
    /// publish still blocked is already counted).
    pub published: u64,
    /// Publish rate over the recent window (see [`RATE_WINDOW_SECS`]).
    pub rate_hz: f64,
    pub subscriptions: Vec<SubscriptionStats>,
}

/// Snapshot of one live subscription. Messages the subscriber has received
/// = `delivered - dropped - queued`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionStats {
    pub id: u64,
    pub qos: Qos,
    /// Messages put into its queue.
    pub delivered: u64,
    /// Messages evicted unread (`KeepLast` only).
    pub dropped: u64,
    /// Messages waiting in its queue now.
    pub queued: usize,
    /// Publishers blocked right now on its full queue (`Reliable` only).
    pub blocked_publishers: usize,
}

/// The rate counts publishes within this many seconds before the query.
pub const RATE_WINDOW_SECS: f64 = 2.0;
/// Publish instants kept per topic; above `RATE_SAMPLES / RATE_WINDOW_SECS`
/// Hz the estimate spans the last `RATE_SAMPLES` publishes instead.
const RATE_SAMPLES: usize = 128;

/// A lock-free ring of recent publish instants: one `Instant::now` and two
/// relaxed atomics per publish, the cost stays off the hot path otherwise.
pub(crate) struct PublishRate {
    next: AtomicU64,
    /// Nanoseconds since the bus epoch, +1 so that 0 means empty.
    instants: [AtomicU64; RATE_SAMPLES],
}

impl Default for PublishRate {
    fn default() -> Self {
        PublishRate {
            next: AtomicU64::new(0),
            instants: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

fn nanos_since(epoch: Instant) -> u64 {
    epoch.elapsed().as_nanos() as u64 + 1
}

impl PublishRate {
    pub fn record(&self, epoch: Instant) {
        let slot = self.next.fetch_add(1, Ordering::Relaxed) as usize % RATE_SAMPLES;
        self.instants[slot].store(nanos_since(epoch), Ordering::Relaxed);
    }

    /// Like `ros2 topic hz`: (n - 1) / span of the recent publishes; one lone
    /// publish in the window counts as 1 / window.
    pub fn hz(&self, epoch: Instant) -> f64 {
        let now = nanos_since(epoch);
        let window = (RATE_WINDOW_SECS * 1e9) as u64;
        let recent = self
            .instants
            .iter()
            .map(|t| t.load(Ordering::Relaxed))
            .filter(|&t| t != 0 && now.saturating_sub(t) <= window);
        let (mut count, mut oldest, mut newest) = (0u64, u64::MAX, 0u64);
        for t in recent {
            count += 1;
            oldest = oldest.min(t);
            newest = newest.max(t);
        }
        match count {
            0 => 0.0,
            1 => 1.0 / RATE_WINDOW_SECS,
            _ => {
                let span = (newest - oldest).max(1) as f64 / 1e9;
                (count - 1) as f64 / span
            }
        }
    }
}
