//! The in-process runtime: each node core runs on a thread of its own, subscribed to the
//! in-process bus with the QoS of its ports; messages are shared by `Arc`, never copied or
//! encoded.
//!
//! Order: when a node wakes, it takes everything queued on all its inputs and handles it in
//! the order of the messages' bus stamps (publish time, or the bag's receive time on replay),
//! ties in port order. A player that publishes a frame's image before its cloud is therefore
//! seen in that order, whatever order the queues are read in: replay is deterministic.

use crossbeam_channel::Select;
use edgefusion_bus::{AnyPublisher, AnySubscription, Bus, BusError, Publisher, Qos};
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::diagnostic_msgs::DiagnosticArray;
use edgefusion_msgs::registry;
use edgefusion_node::diagnostics::{self, Diagnostics};
use edgefusion_node::topics::{self, QosProfile, Reliability};
use edgefusion_node::{NodeCore, Outbox};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a node waits for input before it looks at its stop flag and timers again.
const POLL: Duration = Duration::from_millis(50);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("node {node}: {source}")]
    Bus { node: String, source: BusError },
    #[error("node {node}: output {topic} has type {type_name}, which the message registry does not know")]
    UnknownType { node: String, topic: String, type_name: String },
    #[error("node {node}: cannot start its thread: {source}")]
    Thread { node: String, source: std::io::Error },
    #[error("node {node}: its thread panicked")]
    Panicked { node: String },
}

/// The bus QoS a subscription of this ROS profile gets: best effort is keep-last (the oldest
/// is dropped, counted), reliable is a bounded queue that holds the publisher back.
pub fn bus_qos(profile: &QosProfile) -> Qos {
    match profile.reliability {
        Reliability::BestEffort => Qos::KeepLast { depth: profile.depth },
        Reliability::Reliable => Qos::Reliable { depth: profile.depth },
    }
}

/// A node running on the bus, until [`RunningNode::finish`].
pub struct RunningNode {
    name: String,
    thread: std::thread::JoinHandle<Finished>,
    inputs_done: Arc<AtomicBool>,
}

/// A node after its run: the core (for its report) and what the bus did around it.
pub struct Finished {
    pub core: Box<dyn NodeCore>,
    /// Per output topic: messages published.
    pub published: BTreeMap<String, u64>,
    /// Per input topic: messages evicted from the node's keep-last queues unread.
    pub dropped: BTreeMap<String, u64>,
}

struct Ports {
    inputs: Vec<(String, AnySubscription)>,
    outputs: Vec<(String, AnyPublisher)>,
    diagnostics: Publisher<DiagnosticArray>,
}

impl RunningNode {
    /// Subscribes and advertises now (nothing published after this returns is missed), then
    /// runs the node on its own thread. `topic_name` maps each port's topic to the bus topic
    /// (namespaces and remaps of a launch file); identity when there are none.
    pub fn start(
        bus: &Bus,
        core: Box<dyn NodeCore>,
        name: &str,
        topic_name: &dyn Fn(&str) -> String,
    ) -> Result<Self, StartError> {
        let name = name.to_string();
        let interface = core.interface();
        let bus_error = |source| StartError::Bus { node: name.clone(), source };
        let mut inputs = Vec::new();
        for port in &interface.inputs {
            let topic = topic_name(&port.topic);
            let subscription = bus.subscribe_any(&topic, bus_qos(&port.qos)).map_err(bus_error)?;
            inputs.push((topic, subscription));
        }
        let mut outputs = Vec::new();
        for port in &interface.outputs {
            let topic = topic_name(&port.topic);
            let entry =
                registry::by_name(port.type_name).ok_or_else(|| StartError::UnknownType {
                    node: name.clone(),
                    topic: topic.clone(),
                    type_name: port.type_name.to_string(),
                })?;
            let publisher =
                bus.publisher_any(&topic, entry.type_id, entry.type_name).map_err(bus_error)?;
            outputs.push((topic, publisher));
        }
        let diagnostics =
            bus.publisher::<DiagnosticArray>(topics::DIAGNOSTICS).map_err(bus_error)?;
        let inputs_done = Arc::new(AtomicBool::new(false));
        let done = Arc::clone(&inputs_done);
        let ports = Ports { inputs, outputs, diagnostics };
        let thread_name = name.clone();
        let thread = std::thread::Builder::new()
            .name(name.clone())
            .spawn(move || node_loop(core, &thread_name, ports, &done))
            .map_err(|source| StartError::Thread { node: name.clone(), source })?;
        Ok(Self { name, thread, inputs_done })
    }

    /// Call when no more input will be published: the node works through what is queued, then
    /// stops and hands itself back.
    pub fn finish(self) -> Result<Finished, StartError> {
        self.inputs_done.store(true, Ordering::Relaxed);
        self.thread.join().map_err(|_| StartError::Panicked { node: self.name })
    }
}

/// Tick periods a tick may be deferred while inputs keep arriving.
const TICK_MAX_DEFER: u32 = 5;

fn node_loop(
    mut core: Box<dyn NodeCore>,
    name: &str,
    ports: Ports,
    inputs_done: &AtomicBool,
) -> Finished {
    let mut diagnostics = Diagnostics::default();
    let mut next_status = Instant::now() + diagnostics::PERIOD;
    let mut select = Select::new();
    for (_, subscription) in &ports.inputs {
        select.recv(subscription.receiver());
    }
    let tick_period = core.tick_period();
    let mut next_tick = tick_period.map(|period| Instant::now() + period);
    // The node's clock: the newest input stamp, advanced by wall time between inputs.
    let mut clock = (0i64, Instant::now());
    let now = |clock: (i64, Instant)| clock.0 + clock.1.elapsed().as_nanos() as i64;
    let mut published: BTreeMap<String, u64> = BTreeMap::new();
    let mut out = Outbox::new();
    let mut batch = Vec::new();
    loop {
        let wait =
            next_tick.map_or(POLL, |t| t.saturating_duration_since(Instant::now()).min(POLL));
        let _ = select.ready_timeout(wait);
        let mut closed = 0;
        for (input, (_, subscription)) in ports.inputs.iter().enumerate() {
            loop {
                match subscription.try_recv() {
                    Ok(Some(message)) => batch.push((input, message)),
                    Ok(None) => break,
                    Err(_) => {
                        closed += 1;
                        break;
                    }
                }
            }
        }
        // Stable: messages of one topic keep their order, equal stamps go in port order.
        batch.sort_by_key(|(_, message)| message.stamp_ns);
        let had_input = !batch.is_empty();
        for (input, message) in batch.drain(..) {
            clock = (message.stamp_ns, Instant::now());
            core.on_message(input, &message.payload, Time::from_nanos(message.stamp_ns), &mut out);
            publish(&mut out, &ports.outputs, message.stamp_ns, &mut published);
        }
        if let (Some(period), Some(due)) = (tick_period, next_tick) {
            // Periodic work once the queued inputs are handled: a node that waits for an
            // input on its tick must not time out while that input sits in the queue behind
            // a long message (unless ticks fall far behind).
            let overdue = Instant::now() >= due + period * TICK_MAX_DEFER;
            if Instant::now() >= due && (!had_input || overdue) {
                let stamp = now(clock);
                core.on_tick(Time::from_nanos(stamp), &mut out);
                publish(&mut out, &ports.outputs, stamp, &mut published);
                next_tick = Some(due + period);
            }
        }
        let all_closed = !ports.inputs.is_empty() && closed == ports.inputs.len();
        let finished = all_closed || (!had_input && inputs_done.load(Ordering::Relaxed));
        if finished {
            let stamp = clock.0;
            core.on_end(Time::from_nanos(stamp), &mut out);
            publish(&mut out, &ports.outputs, stamp, &mut published);
        }
        // Every PERIOD, and a last status when the node stops.
        if finished || Instant::now() >= next_status {
            let stamp = now(clock);
            let array = diagnostics.array(name, &core.report(), Time::from_nanos(stamp));
            let _ = ports.diagnostics.publish_at(array, stamp);
            next_status = Instant::now() + diagnostics::PERIOD;
        }
        if finished {
            break;
        }
    }
    let dropped = ports.inputs.iter().map(|(topic, s)| (topic.clone(), s.drops())).collect();
    Finished { core, published, dropped }
}

/// Publishes what the node put in its outbox, stamped on the bus with the stamp of the input
/// that caused it (a recording keeps the bag's timeline).
fn publish(
    out: &mut Outbox,
    outputs: &[(String, AnyPublisher)],
    stamp_ns: i64,
    published: &mut BTreeMap<String, u64>,
) {
    for (output, payload) in out.drain() {
        let Some((topic, publisher)) = outputs.get(output) else {
            tracing::error!("a node published on output port {output}, which it does not have");
            continue;
        };
        match publisher.publish_at(payload, stamp_ns) {
            Ok(()) => *published.entry(topic.clone()).or_default() += 1,
            Err(e) => tracing::warn!("publishing on {topic}: {e}"),
        }
    }
}
