//! The registry of topics and the factory for endpoints.

use std::any::{type_name, TypeId};
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use crossbeam_channel::{bounded, Sender};

use crate::error::BusError;
use crate::publisher::{AnyPublisher, Publisher};
use crate::qos::Qos;
use crate::sink::{ChannelSink, SubscriptionCounters};
use crate::stats::TopicStats;
use crate::subscription::{AnySubscription, Queue, Subscription};
use crate::topic::{AnyMessage, BusShared, Topic};

/// The in-process bus. Cheap to clone: clones share the same topics.
///
/// Dropping the last `Bus` handle shuts the bus down as [`Bus::shutdown`]
/// does, so subscribers blocked in `recv` cannot hang forever on a bus
/// nobody can publish to any more.
#[derive(Clone, Default)]
pub struct Bus {
    inner: Arc<BusInner>,
}

struct BusInner {
    shared: Arc<BusShared>,
    topics: Mutex<HashMap<String, Arc<Topic>>>,
    /// Dropped on shutdown; see [`BusShared::shutdown`].
    shutdown_tx: Mutex<Option<Sender<Infallible>>>,
    next_subscription_id: AtomicU64,
}

impl Default for BusInner {
    fn default() -> Self {
        let (tx, rx) = bounded(0);
        BusInner {
            shared: Arc::new(BusShared {
                closed: AtomicBool::new(false),
                shutdown: rx,
                epoch: Instant::now(),
            }),
            topics: Mutex::new(HashMap::new()),
            shutdown_tx: Mutex::new(Some(tx)),
            next_subscription_id: AtomicU64::new(1),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl BusInner {
    fn topic(&self, name: &str) -> Result<Arc<Topic>, BusError> {
        if name.is_empty() {
            return Err(BusError::InvalidTopic { topic: name.to_owned() });
        }
        if self.shared.is_closed() {
            return Err(BusError::closed(name));
        }
        let mut topics = lock(&self.topics);
        let topic = topics
            .entry(name.to_owned())
            .or_insert_with(|| Arc::new(Topic::new(name, self.shared.clone())));
        Ok(topic.clone())
    }

    fn subscribe<M: Send + 'static>(
        &self,
        topic: Arc<Topic>,
        qos: Qos,
        convert: fn(&AnyMessage) -> Option<M>,
    ) -> Result<Queue<M>, BusError> {
        let (tx, rx) = bounded(qos.depth());
        let id = self.next_subscription_id.fetch_add(1, Ordering::Relaxed);
        let counters = Arc::new(SubscriptionCounters::default());
        let sink = ChannelSink {
            id,
            qos,
            topic: topic.name.clone(),
            epoch: self.shared.epoch,
            tx,
            evict: (!qos.is_reliable()).then(|| rx.clone()),
            counters: counters.clone(),
            convert,
        };
        topic.add_sink(Arc::new(sink))?;
        Ok(Queue { id, qos, topic, rx, counters })
    }

    fn shutdown(&self) {
        self.shared.closed.store(true, Ordering::Release);
        // Wakes every publisher blocked on a full Reliable queue.
        lock(&self.shutdown_tx).take();
        // Subscribers see Closed once drained and in-flight publishes end.
        for topic in lock(&self.topics).values() {
            topic.clear_sinks();
        }
    }
}

impl Drop for BusInner {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn to_typed<T: Send + Sync + 'static>(msg: &AnyMessage) -> Option<Arc<T>> {
    msg.downcast::<T>()
}

fn to_any(msg: &AnyMessage) -> Option<AnyMessage> {
    Some(msg.clone())
}

impl Bus {
    pub fn new() -> Self {
        Bus::default()
    }

    /// A publisher of `T` on `topic`; fixes the topic's type if it has none.
    pub fn publisher<T: Send + Sync + 'static>(
        &self,
        topic: &str,
    ) -> Result<Publisher<T>, BusError> {
        let topic = self.inner.topic(topic)?;
        let info = topic.bind_type(TypeId::of::<T>(), type_name::<T>())?;
        Ok(Publisher::new(topic, info))
    }

    /// A subscription to `topic`, receiving messages published from now on.
    /// Fixes the topic's type if it has none.
    pub fn subscribe<T: Send + Sync + 'static>(
        &self,
        topic: &str,
        qos: Qos,
    ) -> Result<Subscription<T>, BusError> {
        let topic = self.inner.topic(topic)?;
        topic.bind_type(TypeId::of::<T>(), type_name::<T>())?;
        let queue = self.inner.subscribe(topic, qos, to_typed::<T>)?;
        Ok(queue.into())
    }

    /// A type-erased publisher. `type_id` decides compatibility with typed
    /// endpoints; `type_name` is what stats and errors show (and what
    /// type-erased subscribers receive), e.g. `std::any::type_name::<T>()`.
    pub fn publisher_any(
        &self,
        topic: &str,
        type_id: TypeId,
        type_name: &'static str,
    ) -> Result<AnyPublisher, BusError> {
        let topic = self.inner.topic(topic)?;
        let info = topic.bind_type(type_id, type_name)?;
        Ok(AnyPublisher::new(topic, info))
    }

    /// A type-erased subscription: accepts whatever type the topic has (or
    /// will have) and does not fix it.
    pub fn subscribe_any(&self, topic: &str, qos: Qos) -> Result<AnySubscription, BusError> {
        let topic = self.inner.topic(topic)?;
        let queue = self.inner.subscribe(topic, qos, to_any)?;
        Ok(queue.into())
    }

    /// Stats of every topic ever used, sorted by name.
    pub fn topics(&self) -> Vec<TopicStats> {
        let topics: Vec<Arc<Topic>> = lock(&self.inner.topics).values().cloned().collect();
        let mut stats: Vec<TopicStats> = topics.iter().map(|t| t.stats()).collect();
        stats.sort_by(|a, b| a.name.cmp(&b.name));
        stats
    }

    /// Closes the bus: publishing and new endpoints fail with `Closed`,
    /// blocked publishers wake up with `Closed`, subscribers receive what is
    /// already queued and then `Closed`. Idempotent.
    pub fn shutdown(&self) {
        self.inner.shutdown();
    }

    pub fn is_closed(&self) -> bool {
        self.inner.shared.is_closed()
    }
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus")
            .field("topics", &lock(&self.inner.topics).len())
            .field("closed", &self.is_closed())
            .finish()
    }
}
