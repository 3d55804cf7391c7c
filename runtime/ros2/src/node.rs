//! One node core as a ROS 2 node (r2r over rcl and Fast DDS).
//!
//! rcl reads the process's ROS arguments itself: `--ros-args -r FROM:=TO`, `-r __node:=NAME`,
//! `-r __ns:=/NS`, `-p NAME:=VALUE`, `--params-file FILE`. The node's parameters come from rcl
//! (so `ros2 param` conventions hold; r2r serves the parameter services). With `use_sim_time`
//! the node's clock is the last `/clock` message (best effort, keep last 1, as rclcpp
//! subscribes), zero until the first one arrives.
//!
//! Messages travel as CDR bytes: a subscription takes the serialized message from rmw and our
//! decoder (`edgefusion_msgs`) builds the Rust value; a publisher hands our encoding to rmw.
//! Copies of a large message (PointCloud2, Image) on the way in: rmw's serialized buffer → the
//! `Vec<u8>` r2r hands over (r2r copies out of its reused buffer), → the decoded message's
//! `data` field. On the way out: the encoding only (rmw takes our buffer as it is). The typed
//! r2r messages would not copy less: rmw deserializes into a C struct and r2r copies that
//! into Rust `Vec`s, and we would still convert to our types.

use crate::qos;
use anyhow::{bail, Context as _, Result};
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::diagnostic_msgs::DiagnosticArray;
use edgefusion_msgs::registry::{self, AnyMessage, TypeEntry};
use edgefusion_msgs::rosgraph_msgs::Clock;
use edgefusion_msgs::Message;
use edgefusion_node::diagnostics::{self, Diagnostics};
use edgefusion_node::{topics, NodeCore, NodeReport, Outbox, ParamValue, Params};
use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;
use futures::{FutureExt, Stream, StreamExt};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long one spin waits for DDS before the node looks at its timers and stop flag.
const SPIN: Duration = Duration::from_millis(10);
/// After this long without a matched peer on a port, the node says so (once per port).
const DISCOVERY_GRACE: Duration = Duration::from_secs(5);

type RawStream = Box<dyn Stream<Item = Vec<u8>> + Unpin>;

struct Input {
    topic: String,
    entry: &'static TypeEntry,
    stream: RawStream,
    undecodable: u64,
    peer_seen: bool,
}

struct Output {
    topic: String,
    entry: &'static TypeEntry,
    publisher: r2r::PublisherUntyped,
    peer_seen: bool,
}

/// What a ROS 2 node did, for its exit summary.
#[derive(Debug, Default)]
pub struct RosNodeSummary {
    pub name: String,
    pub report: NodeReport,
    /// Per input topic: messages whose CDR could not be decoded (counted, logged, skipped).
    pub undecodable: BTreeMap<String, u64>,
}

/// Checks what rcl would refuse with a bare return code: a `--params-file` that is missing.
pub fn check_ros_args(args: &[String]) -> Result<()> {
    let mut args = args.iter().skip_while(|a| *a != "--ros-args");
    while let Some(arg) = args.next() {
        if arg == "--params-file" {
            let Some(file) = args.next() else { bail!("--params-file needs a file name") };
            if !std::path::Path::new(file).is_file() {
                bail!("--params-file {file}: no such file");
            }
        }
    }
    Ok(())
}

/// Runs the node until `stop` is set. `build` makes the core from the node's parameters (after
/// rcl has read them); `default_name` is the node's name unless `-r __node:=` renames it.
pub fn run_node(
    default_name: &str,
    build: impl FnOnce(&Params) -> Result<Box<dyn NodeCore>>,
    stop: &AtomicBool,
) -> Result<RosNodeSummary> {
    check_ros_args(&std::env::args().collect::<Vec<_>>())?;
    let context = r2r::Context::create().context("initialising ROS 2 (rcl_init)")?;
    let mut node = r2r::Node::create(context, default_name, "")
        .with_context(|| format!("creating ROS 2 node '{default_name}'"))?;
    let name = node.fully_qualified_name()?;
    let params = node_params(&node, &name);
    let mut core = build(&params).with_context(|| format!("node {name}"))?;

    // The parameter services (ros2 param list/get/set).
    let mut pool = LocalPool::new();
    let (parameter_services, _changes) = node.make_parameter_handler()?;
    pool.spawner().spawn_local(parameter_services)?;

    let interface = core.interface();
    let mut inputs = Vec::new();
    for port in &interface.inputs {
        let entry = type_entry(port.type_name, &port.topic)?;
        let stream = node
            .subscribe_raw(&port.topic, port.type_name, qos::to_r2r(&port.qos))
            .with_context(|| format!("subscribing to {} ({})", port.topic, port.type_name))?;
        let topic = port.topic.clone();
        inputs.push(Input {
            topic,
            entry,
            stream: Box::new(stream),
            undecodable: 0,
            peer_seen: false,
        });
    }
    let mut outputs = Vec::new();
    for port in &interface.outputs {
        let entry = type_entry(port.type_name, &port.topic)?;
        let publisher = node
            .create_publisher_untyped(&port.topic, port.type_name, qos::to_r2r(&port.qos))
            .with_context(|| format!("advertising {} ({})", port.topic, port.type_name))?;
        outputs.push(Output { topic: port.topic.clone(), entry, publisher, peer_seen: false });
    }
    tracing::info!("{name}: running on ROS 2 ({} inputs, {} outputs)", inputs.len(), outputs.len());

    let mut clock = NodeClock::new(&mut node, &params)?;
    let diagnostics_qos = qos::to_r2r(&topics::QosProfile::for_topic(topics::DIAGNOSTICS));
    let diagnostics_publisher = node.create_publisher_untyped(
        topics::DIAGNOSTICS,
        DiagnosticArray::TYPE_NAME,
        diagnostics_qos,
    )?;
    let mut diagnostics = Diagnostics::default();
    let mut next_status = Instant::now() + diagnostics::PERIOD;
    let started = Instant::now();
    let mut discovery_checked = false;
    let tick_period = core.tick_period();
    let mut next_tick = tick_period.map(|period| Instant::now() + period);
    let mut out = Outbox::new();
    while !stop.load(Ordering::Relaxed) {
        node.spin_once(SPIN);
        pool.run_until_stalled();
        clock.update();
        let now = || clock.now();
        let mut had_input = false;
        for (index, input) in inputs.iter_mut().enumerate() {
            // Everything r2r has queued: it holds at most 10 per subscription and drops the
            // newest beyond that, so the queue is emptied on every spin.
            while let Some(Some(bytes)) = input.stream.next().now_or_never() {
                had_input = true;
                match (input.entry.decode)(&bytes) {
                    Ok(message) => {
                        core.on_message(index, &message, now(), &mut out);
                        publish(&mut out, &outputs);
                    }
                    Err(e) => {
                        input.undecodable += 1;
                        tracing::warn!(
                            "{name}: undecodable {} on {} ({} bytes, #{}): {e}",
                            input.entry.type_name,
                            input.topic,
                            bytes.len(),
                            input.undecodable
                        );
                    }
                }
            }
        }
        if let (Some(period), Some(due)) = (tick_period, next_tick) {
            // As in the in-process runtime: ticks once the queued inputs are handled.
            let overdue = Instant::now() >= due + period * TICK_MAX_DEFER;
            if Instant::now() >= due && (!had_input || overdue) {
                core.on_tick(now(), &mut out);
                publish(&mut out, &outputs);
                next_tick = Some(due + period);
            }
        }
        if Instant::now() >= next_status {
            next_status = Instant::now() + diagnostics::PERIOD;
            let array = diagnostics.array(&name, &core.report(), now());
            if let Err(e) = array.encode().map_err(anyhow::Error::from).and_then(|bytes| {
                diagnostics_publisher.publish_raw(&bytes).map_err(anyhow::Error::from)
            }) {
                tracing::warn!("{name}: publishing {}: {e:#}", topics::DIAGNOSTICS);
            }
        }
        if !discovery_checked && started.elapsed() > DISCOVERY_GRACE {
            discovery_checked = true;
            say_missing_peers(&node, &name, &mut inputs, &mut outputs);
        }
    }
    core.on_end(clock.now(), &mut out);
    if !out.is_empty() {
        publish(&mut out, &outputs);
        // DDS sends from its own threads: keep the writers a moment so the last samples leave.
        std::thread::sleep(END_LINGER);
    }
    let undecodable = inputs.iter().map(|i| (i.topic.clone(), i.undecodable)).collect();
    Ok(RosNodeSummary { name, report: core.report(), undecodable })
}

/// Tick periods a tick may be deferred while inputs keep arriving.
const TICK_MAX_DEFER: u32 = 5;

/// How long a node keeps its writers after publishing what it held back at the end.
const END_LINGER: Duration = Duration::from_millis(500);

/// The node's time: the system clock, or `/clock` under `use_sim_time`.
struct NodeClock {
    sim: Option<RawStream>,
    last_sim: Time,
}

impl NodeClock {
    fn new(node: &mut r2r::Node, params: &Params) -> Result<Self> {
        let use_sim_time = params.reader("").bool("use_sim_time", false)?;
        let sim = if use_sim_time {
            let qos = r2r::QosProfile::default().keep_last(1).best_effort();
            let stream = node.subscribe_raw(topics::CLOCK, Clock::TYPE_NAME, qos)?;
            tracing::info!("on simulated time: the clock is {}", topics::CLOCK);
            Some(Box::new(stream) as RawStream)
        } else {
            None
        };
        Ok(Self { sim, last_sim: Time::default() })
    }

    /// Takes the /clock messages received since the last call.
    fn update(&mut self) {
        let Some(stream) = self.sim.as_mut() else { return };
        while let Some(Some(bytes)) = stream.next().now_or_never() {
            match Clock::decode(&bytes) {
                Ok(clock) => self.last_sim = clock.clock,
                Err(e) => {
                    tracing::warn!("undecodable {} ({} bytes): {e}", topics::CLOCK, bytes.len())
                }
            }
        }
    }

    fn now(&self) -> Time {
        if self.sim.is_some() {
            return self.last_sim;
        }
        let since_epoch =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Time::from_nanos(since_epoch.as_nanos() as i64)
    }
}

fn type_entry(type_name: &str, topic: &str) -> Result<&'static TypeEntry> {
    registry::by_name(type_name)
        .with_context(|| format!("{topic}: no CDR codec for message type {type_name}"))
}

/// Encodes and publishes what the core put in its outbox.
fn publish(out: &mut Outbox, outputs: &[Output]) {
    for (index, payload) in out.drain() {
        let Some(output) = outputs.get(index) else {
            tracing::error!("a node published on output port {index}, which it does not have");
            continue;
        };
        if let Err(e) = encode_and_publish(output, &payload) {
            tracing::warn!("publishing on {}: {e:#}", output.topic);
        }
    }
}

fn encode_and_publish(output: &Output, payload: &AnyMessage) -> Result<()> {
    let bytes = (output.entry.encode)(payload.as_ref())?;
    output.publisher.publish_raw(&bytes)?;
    Ok(())
}

/// Says once, per port, that discovery has found no peer: the node keeps running (a peer may
/// come later) but the operator learns why nothing arrives.
fn say_missing_peers(node: &r2r::Node, name: &str, inputs: &mut [Input], outputs: &mut [Output]) {
    for input in inputs.iter_mut().filter(|i| !i.peer_seen) {
        let publishers =
            node.get_publishers_info_by_topic(&input.topic, false).map_or(0, |p| p.len());
        input.peer_seen = publishers > 0;
        if !input.peer_seen {
            tracing::warn!("{name}: no publisher of {} discovered yet; still waiting", input.topic);
        }
    }
    for output in outputs.iter_mut().filter(|o| !o.peer_seen) {
        let subscribers = output.publisher.get_inter_process_subscription_count().unwrap_or(0);
        output.peer_seen = subscribers > 0;
        if !output.peer_seen {
            tracing::info!("{name}: no subscriber of {} discovered yet", output.topic);
        }
    }
}

/// rcl's parameters of this node (`--params-file`, `-p`) as the node cores read them.
fn node_params(node: &r2r::Node, name: &str) -> Params {
    let mut params = Params::new();
    let origin = format!("ROS 2 parameters of {name}");
    let Ok(entries) = node.params.lock() else { return params };
    for (key, param) in entries.iter() {
        let value = match &param.value {
            r2r::ParameterValue::NotSet => continue,
            r2r::ParameterValue::Bool(b) => ParamValue::Bool(*b),
            r2r::ParameterValue::Integer(i) => ParamValue::Integer(*i),
            r2r::ParameterValue::Double(d) => ParamValue::Double(*d),
            r2r::ParameterValue::String(s) => ParamValue::String(s.clone()),
            r2r::ParameterValue::BoolArray(v) => ParamValue::BoolArray(v.clone()),
            r2r::ParameterValue::ByteArray(v) => {
                ParamValue::IntegerArray(v.iter().map(|&b| i64::from(b)).collect())
            }
            r2r::ParameterValue::IntegerArray(v) => ParamValue::IntegerArray(v.clone()),
            r2r::ParameterValue::DoubleArray(v) => ParamValue::DoubleArray(v.clone()),
            r2r::ParameterValue::StringArray(v) => ParamValue::StringArray(v.clone()),
        };
        params.set(key, value, &origin);
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_missing_params_file_is_named() {
        let e = check_ros_args(&args(&["x", "--ros-args", "--params-file", "/no/such.yaml"]))
            .unwrap_err();
        assert_eq!(e.to_string(), "--params-file /no/such.yaml: no such file");
        let e = check_ros_args(&args(&["x", "--ros-args", "--params-file"])).unwrap_err();
        assert_eq!(e.to_string(), "--params-file needs a file name");
        // Before --ros-args it is not rcl's (and not ours to check).
        check_ros_args(&args(&["x", "--params-file", "/no/such.yaml"])).unwrap();
    }
}
