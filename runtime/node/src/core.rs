//! The one interface between a node core and the runtimes that host it (the in-process bus,
//! ROS 2). A node declares its ports, gets each input message with the current time, and puts
//! what it publishes into an [`Outbox`]; it never sees a topic, a thread or a transport.

use crate::topics::QosProfile;
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::registry::AnyMessage;
use edgefusion_msgs::Message;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// An input or output of a node: its default topic (remappable by the runtime), the ROS type
/// of its messages and the QoS it is subscribed or offered with.
#[derive(Debug, Clone, PartialEq)]
pub struct Port {
    pub topic: String,
    pub type_name: &'static str,
    pub qos: QosProfile,
}

impl Port {
    /// A port of message type `M` on `topic`, with the stack's QoS for that topic.
    pub fn of<M: Message>(topic: &str) -> Self {
        Self {
            topic: topic.to_string(),
            type_name: M::TYPE_NAME,
            qos: QosProfile::for_topic(topic),
        }
    }
}

/// A node's inputs and outputs; `on_message` and [`Outbox::publish`] refer to them by index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Interface {
    pub inputs: Vec<Port>,
    pub outputs: Vec<Port>,
}

/// What a node publishes in answer to one input or tick.
#[derive(Default)]
pub struct Outbox {
    messages: Vec<(usize, AnyMessage)>,
}

impl Outbox {
    pub fn new() -> Self {
        Self::default()
    }

    /// Publishes `message` on output port `output`.
    pub fn publish<M: Message>(&mut self, output: usize, message: M) {
        self.messages.push((output, Arc::new(message)));
    }

    /// Publishes a message the node already shares (e.g. an input passed through unchanged),
    /// without copying it.
    pub fn publish_shared<M: Message>(&mut self, output: usize, message: Arc<M>) {
        self.messages.push((output, message));
    }

    /// The messages in publishing order, emptying the outbox.
    pub fn drain(&mut self) -> std::vec::Drain<'_, (usize, AnyMessage)> {
        self.messages.drain(..)
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

/// Latency of one stage of a node, over the messages it handled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageSummary {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub samples: u64,
}

/// A node's state for diagnostics and run summaries: counters by name (received, published,
/// each reason of a rejected input) and per-stage latency.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeReport {
    pub counters: BTreeMap<String, u64>,
    /// The subset of `counters` that count problems (rejected or degraded inputs).
    pub problems: BTreeMap<String, u64>,
    pub latency: BTreeMap<String, StageSummary>,
}

/// A node core as the runtimes see it.
pub trait NodeCore: Send {
    /// The node's default name (in parameter files, logs, and as a ROS 2 node).
    fn name(&self) -> &str;

    /// Its ports. Called once, before the first message.
    fn interface(&self) -> Interface;

    /// One message on input port `input`. `message` holds the Rust type of that port's
    /// `type_name` (runtimes decode before calling); `now` is the runtime's clock (ROS time,
    /// simulated time under `use_sim_time`, the bag's time on replay). Rejected input is the
    /// node's to count and log; it never ends the node.
    fn on_message(&mut self, input: usize, message: &AnyMessage, now: Time, out: &mut Outbox);

    /// How often [`NodeCore::on_tick`] runs, if the node has periodic work.
    fn tick_period(&self) -> Option<Duration> {
        None
    }

    fn on_tick(&mut self, _now: Time, _out: &mut Outbox) {}

    /// The inputs have ended (the bag is over, the node is shutting down): publish what is held
    /// back waiting for other inputs, so that nothing already received is lost.
    fn on_end(&mut self, _now: Time, _out: &mut Outbox) {}

    fn report(&self) -> NodeReport;
}

/// One message on input port `input` at node time `now`, as a runtime hands it over; returns
/// what the node published, by output port (for tests and tools that drive a core directly).
pub fn feed(
    core: &mut dyn NodeCore,
    input: usize,
    message: &AnyMessage,
    now: Time,
) -> Vec<(usize, AnyMessage)> {
    let mut out = Outbox::new();
    core.on_message(input, message, now, &mut out);
    out.drain().collect()
}

/// The payload of an input as `M`, shared (no copy), or `None` if it is another type.
pub fn downcast<M: Message>(message: &AnyMessage) -> Option<Arc<M>> {
    message.clone().downcast::<M>().ok()
}
