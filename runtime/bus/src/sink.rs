//! The publisher's side of one subscription's queue, and where the QoS policy
//! is applied: drop-oldest for `KeepLast`, blocking for `Reliable`.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::{select, Receiver, Sender, TrySendError};

use crate::qos::Qos;
use crate::stats::SubscriptionStats;
use crate::topic::AnyMessage;

/// After the first warning, a subscription that keeps dropping is reported
/// again at most this often, so a stuck consumer cannot flood the log.
const DROP_WARN_INTERVAL_NANOS: u64 = 10_000_000_000;

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Queued, dropped by policy, or the subscriber is gone: all fine for the
    /// publisher.
    Done,
    /// The bus shut down while the publisher was blocked.
    Shutdown,
}

/// Counters shared between the sink (written by publishers) and the
/// `Subscription` handle (read by the subscriber).
#[derive(Default)]
pub(crate) struct SubscriptionCounters {
    pub delivered: AtomicU64,
    pub dropped: AtomicU64,
    pub blocked_publishers: AtomicUsize,
    /// Nanoseconds since the bus epoch (+1, so 0 means never) of the last
    /// drop warning.
    last_warning: AtomicU64,
}

pub(crate) trait Sink: Send + Sync {
    fn id(&self) -> u64;
    fn deliver(&self, msg: &AnyMessage, shutdown: &Receiver<Infallible>) -> Delivery;
    fn stats(&self) -> SubscriptionStats;
}

/// One subscription's queue. `M` is what the subscriber receives: `Arc<T>`
/// for typed subscriptions, `AnyMessage` for type-erased ones, so a typed
/// subscriber's `Receiver` can go straight into `select!`.
pub(crate) struct ChannelSink<M> {
    pub id: u64,
    pub qos: Qos,
    pub topic: Arc<str>,
    pub epoch: Instant,
    pub tx: Sender<M>,
    /// `KeepLast` only: a clone of the subscriber's receiver, used by the
    /// publisher to pop the oldest message when the queue is full. `Reliable`
    /// sinks must not hold one, so that a dropped subscriber disconnects the
    /// channel and wakes a publisher blocked on it.
    pub evict: Option<Receiver<M>>,
    pub counters: Arc<SubscriptionCounters>,
    pub convert: fn(&AnyMessage) -> Option<M>,
}

impl<M: Send + 'static> ChannelSink<M> {
    fn keep_last(&self, mut msg: M, evict: &Receiver<M>) -> Delivery {
        loop {
            match self.tx.try_send(msg) {
                Ok(()) => {
                    self.counters.delivered.fetch_add(1, Ordering::Relaxed);
                    return Delivery::Done;
                }
                Err(TrySendError::Full(back)) => {
                    msg = back;
                    // Only one caller can pop a given message, so each
                    // eviction is counted exactly once even with concurrent
                    // publishers. If the pop finds nothing the subscriber
                    // just made room: retry the send.
                    if evict.try_recv().is_ok() {
                        self.note_drop();
                    }
                }
                Err(TrySendError::Disconnected(_)) => return Delivery::Done,
            }
        }
    }

    fn reliable(&self, msg: M, shutdown: &Receiver<Infallible>) -> Delivery {
        let msg = match self.tx.try_send(msg) {
            Ok(()) => {
                self.counters.delivered.fetch_add(1, Ordering::Relaxed);
                return Delivery::Done;
            }
            Err(TrySendError::Disconnected(_)) => return Delivery::Done,
            Err(TrySendError::Full(back)) => back,
        };
        // Visible in stats, so an operator (and a test) can see who is
        // holding the publisher back.
        self.counters.blocked_publishers.fetch_add(1, Ordering::Relaxed);
        let outcome = select! {
            send(self.tx, msg) -> sent => {
                if sent.is_ok() {
                    self.counters.delivered.fetch_add(1, Ordering::Relaxed);
                }
                Delivery::Done
            }
            recv(shutdown) -> _ => Delivery::Shutdown,
        };
        self.counters.blocked_publishers.fetch_sub(1, Ordering::Relaxed);
        outcome
    }

    fn note_drop(&self) {
        let total = self.counters.dropped.fetch_add(1, Ordering::Relaxed) + 1;
        let now = self.epoch.elapsed().as_nanos() as u64 + 1;
        let last = self.counters.last_warning.load(Ordering::Relaxed);
        let due = last == 0 || now.saturating_sub(last) >= DROP_WARN_INTERVAL_NANOS;
        if due
            && self
                .counters
                .last_warning
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                topic = %self.topic,
                subscription = self.id,
                depth = self.qos.depth(),
                dropped_total = total,
                "subscriber too slow: queue full, dropping oldest messages"
            );
        }
    }
}

impl<M: Send + 'static> Sink for ChannelSink<M> {
    fn id(&self) -> u64 {
        self.id
    }

    fn deliver(&self, msg: &AnyMessage, shutdown: &Receiver<Infallible>) -> Delivery {
        // The bus checks payload types at the door, so this only fails if
        // that invariant is broken; skipping is safer than panicking.
        let Some(msg) = (self.convert)(msg) else {
            debug_assert!(false, "payload type does not match topic type");
            return Delivery::Done;
        };
        match &self.evict {
            Some(evict) => self.keep_last(msg, evict),
            None => self.reliable(msg, shutdown),
        }
    }

    fn stats(&self) -> SubscriptionStats {
        SubscriptionStats {
            id: self.id,
            qos: self.qos,
            delivered: self.counters.delivered.load(Ordering::Relaxed),
            dropped: self.counters.dropped.load(Ordering::Relaxed),
            queued: self.tx.len(),
            blocked_publishers: self.counters.blocked_publishers.load(Ordering::Relaxed),
        }
    }
}
