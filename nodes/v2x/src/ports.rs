//! The V2X node as the runtimes host it ([`NodeCore`]): raw frames from `/v2x/packets` and,
//! when `udp_bind` is set, from an on-board unit's UDP datagrams (polled on the node's tick: the
//! OBU is this node's sensor, as a camera driver's device is its own), the ego pose from
//! `/localization/odometry`, and every [`PUBLISH_PERIOD`] the current objects on `/v2x/objects`.

use crate::node::V2xNode;
use crate::params::V2xParams;
use crate::udp::UdpReceiver;
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::edgefusion::{V2xObjectArray, V2xPacket};
use edgefusion_msgs::nav_msgs::Odometry;
use edgefusion_msgs::registry::AnyMessage;
use edgefusion_node::{downcast, topics, Interface, NodeCore, NodeReport, Outbox, Port};
use std::time::{Duration, Instant};

const PACKETS: usize = 0;
const ODOMETRY: usize = 1;
const OBJECTS: usize = 0;

/// How often the node polls its UDP socket.
const TICK: Duration = Duration::from_millis(20);
/// How often it publishes the objects it knows (with their ages), like a 10 Hz sensor.
pub const PUBLISH_PERIOD: Duration = Duration::from_millis(100);

/// Counter name prefixes that count problems (the rest count work).
const PROBLEM_PREFIXES: [&str; 6] =
    ["decode_", "dropped_", "unknown_", "bad_", "no_", "wrong_message_type"];

pub struct V2xNodeCore {
    node: V2xNode,
    udp: Option<UdpReceiver>,
    next_publish: Instant,
    wrong_type: u64,
    udp_errors: u64,
}

impl V2xNodeCore {
    /// The node, with its UDP socket bound when `udp_bind` asks for one.
    pub fn new(params: V2xParams) -> anyhow::Result<Self> {
        let udp = UdpReceiver::from_params(&params, None)?;
        if let Some(udp) = &udp {
            tracing::info!("v2x: receiving OBU datagrams on udp://{}", udp.local_addr()?);
        }
        let node = V2xNode::new(params)?;
        Ok(Self { node, udp, next_publish: Instant::now(), wrong_type: 0, udp_errors: 0 })
    }

    pub fn node(&self) -> &V2xNode {
        &self.node
    }
}

impl NodeCore for V2xNodeCore {
    fn name(&self) -> &str {
        "v2x"
    }

    fn interface(&self) -> Interface {
        Interface {
            inputs: vec![
                Port::of::<V2xPacket>(topics::V2X_PACKETS),
                Port::of::<Odometry>(topics::ODOMETRY),
            ],
            outputs: vec![Port::of::<V2xObjectArray>(topics::V2X_OBJECTS)],
        }
    }

    // Rejections are counted (by reason) and logged by V2xNode itself.
    fn on_message(&mut self, input: usize, message: &AnyMessage, now: Time, _out: &mut Outbox) {
        let delivered = match input {
            PACKETS => downcast::<V2xPacket>(message).map(|p| {
                let _ = self.node.on_packet(&p, now);
            }),
            ODOMETRY => downcast::<Odometry>(message).map(|o| {
                let _ = self.node.on_odometry(&o);
            }),
            _ => None,
        };
        if delivered.is_none() {
            self.wrong_type += 1;
            tracing::warn!("v2x: input port {input} got a message of another type");
        }
    }

    fn tick_period(&self) -> Option<Duration> {
        Some(TICK)
    }

    fn on_tick(&mut self, now: Time, out: &mut Outbox) {
        while let Some(udp) = self.udp.as_mut() {
            match udp.recv(now) {
                Ok(Some(packet)) => {
                    let _ = self.node.on_packet(&packet, now);
                }
                Ok(None) => break,
                Err(e) => {
                    self.udp_errors += 1;
                    tracing::warn!("v2x: udp: {e}");
                    break;
                }
            }
        }
        if Instant::now() >= self.next_publish {
            self.next_publish = Instant::now() + PUBLISH_PERIOD;
            out.publish(OBJECTS, self.node.objects(now));
        }
    }

    fn report(&self) -> NodeReport {
        let mut report = NodeReport::default();
        let extra = [("wrong_message_type", self.wrong_type), ("udp_errors", self.udp_errors)];
        let counters = self.node.stats().iter().chain(extra.into_iter().filter(|(_, n)| *n > 0));
        for (name, n) in counters {
            if PROBLEM_PREFIXES.iter().any(|p| name.starts_with(p)) || name == "udp_errors" {
                report.problems.insert(name.to_string(), n);
            }
            report.counters.insert(name.to_string(), n);
        }
        report
    }
}
