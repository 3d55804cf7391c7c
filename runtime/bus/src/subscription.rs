//! Receiving handles: typed `Subscription<T>` for nodes, `AnySubscription`
//! for tools that handle many types by name (bag recorder).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, TryRecvError};

use crate::error::BusError;
use crate::qos::Qos;
use crate::sink::SubscriptionCounters;
use crate::topic::{AnyMessage, Topic};

/// The receiving end of one subscription's queue, generic over what it
/// carries. Dropping it unsubscribes.
pub(crate) struct Queue<M> {
    pub id: u64,
    pub qos: Qos,
    pub topic: Arc<Topic>,
    pub rx: Receiver<M>,
    pub counters: Arc<SubscriptionCounters>,
}

impl<M> Queue<M> {
    fn closed(&self) -> BusError {
        BusError::closed(&self.topic.name)
    }

    fn recv(&self) -> Result<M, BusError> {
        self.rx.recv().map_err(|_| self.closed())
    }

    fn recv_timeout(&self, timeout: Duration) -> Result<Option<M>, BusError> {
        match self.rx.recv_timeout(timeout) {
            Ok(msg) => Ok(Some(msg)),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(self.closed()),
        }
    }

    fn try_recv(&self) -> Result<Option<M>, BusError> {
        match self.rx.try_recv() {
            Ok(msg) => Ok(Some(msg)),
            Err(TryRecvError::Empty) => Ok(None),
            Err(TryRecvError::Disconnected) => Err(self.closed()),
        }
    }

    fn drops(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }
}

impl<M> Drop for Queue<M> {
    fn drop(&mut self) {
        // Our receiver goes away with us; for Reliable that disconnects the
        // channel, so a publisher blocked on it returns at once.
        self.topic.remove_sink(self.id);
    }
}

macro_rules! queue_methods {
    ($item:ty) => {
        /// Blocks until a message arrives. After shutdown, returns what is
        /// still queued, then `Err(Closed)`.
        pub fn recv(&self) -> Result<$item, BusError> {
            self.queue.recv()
        }

        /// `Ok(None)` on timeout.
        pub fn recv_timeout(&self, timeout: Duration) -> Result<Option<$item>, BusError> {
            self.queue.recv_timeout(timeout)
        }

        /// `Ok(None)` if nothing is queued.
        pub fn try_recv(&self) -> Result<Option<$item>, BusError> {
            self.queue.try_recv()
        }

        /// Blocking iterator that ends when the bus closes.
        pub fn iter(&self) -> impl Iterator<Item = $item> + '_ {
            std::iter::from_fn(move || self.queue.recv().ok())
        }

        /// The underlying queue, for `crossbeam_channel::select!` over several
        /// subscriptions. A disconnected receiver means the bus closed.
        pub fn receiver(&self) -> &Receiver<$item> {
            &self.queue.rx
        }

        /// Messages evicted unread because the queue was full (`KeepLast`).
        pub fn drops(&self) -> u64 {
            self.queue.drops()
        }

        /// Messages put into this subscription's queue so far.
        pub fn delivered(&self) -> u64 {
            self.queue.counters.delivered.load(Ordering::Relaxed)
        }

        pub fn topic(&self) -> &str {
            &self.queue.topic.name
        }

        pub fn qos(&self) -> Qos {
            self.queue.qos
        }

        /// Identifies this subscription in [`crate::TopicStats`].
        pub fn id(&self) -> u64 {
            self.queue.id
        }
    };
}

/// Receives `Arc<T>`: the very allocation the publisher published.
pub struct Subscription<T> {
    queue: Queue<Arc<T>>,
}

impl<T: Send + Sync + 'static> Subscription<T> {
    queue_methods!(Arc<T>);
}

/// Receives every message of a topic type-erased, with its type name.
pub struct AnySubscription {
    queue: Queue<AnyMessage>,
}

impl AnySubscription {
    queue_methods!(AnyMessage);

    /// The topic's type name, `None` while no publisher or typed subscriber
    /// has fixed it yet (each received message carries it too).
    pub fn type_name(&self) -> Option<&'static str> {
        self.queue.topic.type_name()
    }
}

impl<T> From<Queue<Arc<T>>> for Subscription<T> {
    fn from(queue: Queue<Arc<T>>) -> Self {
        Subscription { queue }
    }
}

impl From<Queue<AnyMessage>> for AnySubscription {
    fn from(queue: Queue<AnyMessage>) -> Self {
        AnySubscription { queue }
    }
}

impl<T> std::fmt::Debug for Subscription<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("topic", &self.queue.topic.name)
            .field("id", &self.queue.id)
            .field("qos", &self.queue.qos)
            .finish()
    }
}

impl std::fmt::Debug for AnySubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnySubscription")
            .field("topic", &self.queue.topic.name)
            .field("id", &self.queue.id)
            .field("qos", &self.queue.qos)
            .finish()
    }
}
