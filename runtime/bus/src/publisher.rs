//! Publishing handles: typed `Publisher<T>` for nodes, `AnyPublisher` for
//! tools that handle many types by name (bag player).

use std::any::{Any, TypeId};
use std::marker::PhantomData;
use std::sync::Arc;

use crate::error::BusError;
use crate::topic::{concrete_type_id, wall_clock_ns, AnyMessage, Topic, TypeInfo};

/// Publishes `T` on one topic. Cloning gives another publisher on the same
/// topic. Publishing never copies the message: subscribers share the `Arc`.
pub struct Publisher<T> {
    topic: Arc<Topic>,
    type_name: &'static str,
    // fn(T): the handle neither owns nor shares a `T`, so it is Send + Sync
    // without requiring more of `T`.
    _type: PhantomData<fn(T)>,
}

impl<T: Send + Sync + 'static> Publisher<T> {
    pub(crate) fn new(topic: Arc<Topic>, info: TypeInfo) -> Self {
        topic.publisher_added();
        Publisher { topic, type_name: info.name, _type: PhantomData }
    }

    /// Wraps `msg` in an `Arc` and publishes it.
    pub fn publish(&self, msg: T) -> Result<(), BusError> {
        self.publish_arc(Arc::new(msg))
    }

    /// Publishes a message the caller already shares (e.g. keeps for itself).
    ///
    /// `KeepLast` subscribers never block this call; a full `Reliable`
    /// subscriber blocks it until there is room or the bus shuts down
    /// (`Err(Closed)`). A dropped subscriber is simply skipped. Subscribers
    /// are served in subscription order, so a full `Reliable` queue also
    /// holds back delivery to the subscriptions after it.
    pub fn publish_arc(&self, msg: Arc<T>) -> Result<(), BusError> {
        self.publish_arc_at(msg, wall_clock_ns())
    }

    /// Publishes with an explicit bus stamp (ns), e.g. simulated or replayed time.
    pub fn publish_at(&self, msg: T, stamp_ns: i64) -> Result<(), BusError> {
        self.publish_arc_at(Arc::new(msg), stamp_ns)
    }

    pub fn publish_arc_at(&self, msg: Arc<T>, stamp_ns: i64) -> Result<(), BusError> {
        self.topic.publish(AnyMessage { payload: msg, type_name: self.type_name, stamp_ns })
    }

    pub fn topic(&self) -> &str {
        &self.topic.name
    }

    /// Current number of subscriptions (e.g. to skip building an unused
    /// message).
    pub fn subscription_count(&self) -> usize {
        self.topic.subscription_count()
    }
}

impl<T> Clone for Publisher<T> {
    fn clone(&self) -> Self {
        self.topic.publisher_added();
        Publisher { topic: self.topic.clone(), type_name: self.type_name, _type: PhantomData }
    }
}

impl<T> Drop for Publisher<T> {
    fn drop(&mut self) {
        self.topic.publisher_dropped();
    }
}

impl<T> std::fmt::Debug for Publisher<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("topic", &self.topic.name)
            .field("type_name", &self.type_name)
            .finish()
    }
}

/// Type-erased publisher: the type is given at creation as a `TypeId` (which
/// decides compatibility with typed endpoints) and a name (for display).
pub struct AnyPublisher {
    topic: Arc<Topic>,
    info: TypeInfo,
}

impl AnyPublisher {
    pub(crate) fn new(topic: Arc<Topic>, info: TypeInfo) -> Self {
        topic.publisher_added();
        AnyPublisher { topic, info }
    }

    /// Publishes a payload whose concrete type must be the publisher's type,
    /// else `PayloadTypeMismatch` (checked, so typed subscribers on the same
    /// topic can rely on it).
    pub fn publish(&self, payload: Arc<dyn Any + Send + Sync>) -> Result<(), BusError> {
        self.publish_at(payload, wall_clock_ns())
    }

    /// Publishes with an explicit bus stamp (ns), e.g. a bag's receive time.
    pub fn publish_at(
        &self,
        payload: Arc<dyn Any + Send + Sync>,
        stamp_ns: i64,
    ) -> Result<(), BusError> {
        if concrete_type_id(&*payload) != self.info.id {
            return Err(BusError::PayloadTypeMismatch {
                topic: self.topic.name.to_string(),
                expected: self.info.name,
            });
        }
        self.topic.publish(AnyMessage { payload, type_name: self.info.name, stamp_ns })
    }

    pub fn topic(&self) -> &str {
        &self.topic.name
    }

    /// The name the topic's type was registered under.
    pub fn type_name(&self) -> &'static str {
        self.info.name
    }

    pub fn payload_type_id(&self) -> TypeId {
        self.info.id
    }

    pub fn subscription_count(&self) -> usize {
        self.topic.subscription_count()
    }
}

impl Clone for AnyPublisher {
    fn clone(&self) -> Self {
        AnyPublisher::new(self.topic.clone(), self.info)
    }
}

impl Drop for AnyPublisher {
    fn drop(&mut self) {
        self.topic.publisher_dropped();
    }
}

impl std::fmt::Debug for AnyPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnyPublisher")
            .field("topic", &self.topic.name)
            .field("type_name", &self.info.name)
            .finish()
    }
}
