//! One named topic: its fixed message type, its subscriber queues and its
//! counters. Shared by `Arc` between the bus registry and every endpoint.

use std::any::{Any, TypeId};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Instant;

use crossbeam_channel::Receiver;

use crate::error::BusError;
use crate::sink::{Delivery, Sink};
use crate::stats::{PublishRate, TopicStats};

/// A message as it travels inside the bus: the shared payload, the name of its
/// type, so type-erased subscribers (recorders) know what they got, and its
/// stamp on the bus clock.
#[derive(Clone)]
pub struct AnyMessage {
    pub payload: Arc<dyn Any + Send + Sync>,
    pub type_name: &'static str,
    /// When it was published, in ns: wall time since the Unix epoch, or the
    /// time the publisher gave (`publish_at`), e.g. a bag's receive time on
    /// replay, so a recorder reproduces the original timeline.
    pub stamp_ns: i64,
}

/// Wall-clock now in ns since the Unix epoch: the default publish stamp.
pub(crate) fn wall_clock_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

impl AnyMessage {
    /// The payload as a `T`, sharing the same allocation, or `None` if it is
    /// another type.
    pub fn downcast<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.payload.clone().downcast::<T>().ok()
    }

    /// `TypeId` of the payload's concrete type (not of the `Arc`).
    pub fn payload_type_id(&self) -> TypeId {
        concrete_type_id(&*self.payload)
    }
}

impl std::fmt::Debug for AnyMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnyMessage")
            .field("type_name", &self.type_name)
            .field("stamp_ns", &self.stamp_ns)
            .finish_non_exhaustive()
    }
}

/// Goes through `&dyn Any` so the vtable answers; calling `type_id` on an
/// `Arc` or on `dyn Any + Send + Sync` through the blanket impl would give the
/// wrapper's id instead of the payload's.
pub(crate) fn concrete_type_id(payload: &(dyn Any + Send + Sync)) -> TypeId {
    let erased: &dyn Any = payload;
    erased.type_id()
}

/// State every topic shares with the bus: whether it is closed, the channel
/// whose disconnection wakes blocked publishers, and the clock origin.
pub(crate) struct BusShared {
    pub closed: AtomicBool,
    /// Never carries a value; its sender is dropped on shutdown, which makes
    /// every `recv` on it ready. Reliable publishers select on it.
    pub shutdown: Receiver<std::convert::Infallible>,
    pub epoch: Instant,
}

impl BusShared {
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

#[derive(Clone, Copy)]
pub(crate) struct TypeInfo {
    pub id: TypeId,
    pub name: &'static str,
}

/// Sinks are replaced copy-on-write so a publisher holds the read lock only
/// long enough to clone one `Arc`, never while it may block on a queue.
type SinkList = Arc<[Arc<dyn Sink>]>;

pub(crate) struct Topic {
    pub name: Arc<str>,
    pub shared: Arc<BusShared>,
    type_info: OnceLock<TypeInfo>,
    sinks: RwLock<SinkList>,
    publishers: AtomicUsize,
    published: AtomicU64,
    rate: PublishRate,
}

impl Topic {
    pub fn new(name: &str, shared: Arc<BusShared>) -> Self {
        Topic {
            name: name.into(),
            shared,
            type_info: OnceLock::new(),
            sinks: RwLock::new(Arc::from(Vec::new())),
            publishers: AtomicUsize::new(0),
            published: AtomicU64::new(0),
            rate: PublishRate::default(),
        }
    }

    /// Fixes the topic's type on first call; later calls must agree.
    /// `TypeId` decides; the name is only for display and errors.
    pub fn bind_type(&self, id: TypeId, name: &'static str) -> Result<TypeInfo, BusError> {
        let info = *self.type_info.get_or_init(|| TypeInfo { id, name });
        if info.id == id {
            Ok(info)
        } else {
            Err(BusError::TypeMismatch {
                topic: self.name.to_string(),
                existing: info.name,
                requested: name,
            })
        }
    }

    pub fn type_name(&self) -> Option<&'static str> {
        self.type_info.get().map(|info| info.name)
    }

    pub fn add_sink(&self, sink: Arc<dyn Sink>) -> Result<(), BusError> {
        let mut sinks = self.sinks.write().unwrap_or_else(|e| e.into_inner());
        // Checked under the lock that `clear_sinks` takes after setting
        // `closed`: a sink added concurrently with shutdown is either cleared
        // or refused, never left holding its subscriber open forever.
        if self.shared.is_closed() {
            return Err(BusError::closed(&self.name));
        }
        let mut list: Vec<_> = sinks.iter().cloned().collect();
        list.push(sink);
        *sinks = Arc::from(list);
        Ok(())
    }

    pub fn remove_sink(&self, id: u64) {
        let mut sinks = self.sinks.write().unwrap_or_else(|e| e.into_inner());
        if sinks.iter().any(|s| s.id() == id) {
            let list: Vec<_> = sinks.iter().filter(|s| s.id() != id).cloned().collect();
            *sinks = Arc::from(list);
        }
    }

    /// Drops the topic's senders, so subscribers see `Closed` once they
    /// drained their queues (and once in-flight publishes finish).
    pub fn clear_sinks(&self) {
        let mut sinks = self.sinks.write().unwrap_or_else(|e| e.into_inner());
        *sinks = Arc::from(Vec::new());
    }

    fn sinks(&self) -> SinkList {
        self.sinks.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn publisher_added(&self) {
        self.publishers.fetch_add(1, Ordering::Relaxed);
    }

    pub fn publisher_dropped(&self) {
        self.publishers.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn subscription_count(&self) -> usize {
        self.sinks().len()
    }

    /// Hands one message to every current subscriber. The payload is shared,
    /// never copied. Counters only: a tracing span per publish costs more
    /// than the delivery itself.
    pub fn publish(&self, msg: AnyMessage) -> Result<(), BusError> {
        if self.shared.is_closed() {
            return Err(BusError::closed(&self.name));
        }
        self.published.fetch_add(1, Ordering::Relaxed);
        self.rate.record(self.shared.epoch);
        for sink in self.sinks().iter() {
            if sink.deliver(&msg, &self.shared.shutdown) == Delivery::Shutdown {
                return Err(BusError::closed(&self.name));
            }
        }
        Ok(())
    }

    pub fn stats(&self) -> TopicStats {
        TopicStats {
            name: self.name.to_string(),
            type_name: self.type_name(),
            publishers: self.publishers.load(Ordering::Relaxed),
            published: self.published.load(Ordering::Relaxed),
            rate_hz: self.rate.hz(self.shared.epoch),
            subscriptions: self.sinks().iter().map(|s| s.stats()).collect(),
        }
    }
}
