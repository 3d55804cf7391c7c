//! `bag play --ros2` and `bag record --ros2`: the same player and bag writer as the in-process
//! commands, with ROS 2 (r2r) on the other side. Messages stay CDR bytes end to end: the player
//! hands the recorded bytes to rmw as they are, the recorder writes what rmw hands over.

use crate::replay::{Destination, Outcome, RecordReport};
use crate::topics::{self, QosProfile};
use anyhow::{bail, Context, Result};
use edgefusion_bag::{BagReader, BagWriter, TopicInfo};
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::rosgraph_msgs::Clock;
use edgefusion_msgs::Message;
use edgefusion_ros2::{qos, r2r};
use futures::{FutureExt, Stream, StreamExt};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a player waits after its writers have seen their readers (see
/// [`RosDestination::wait_for_subscribers`]).
const MATCH_SETTLE: Duration = Duration::from_millis(500);

/// How long a player keeps its publishers after the last message. Fast DDS sends large
/// samples (a 1.5 MB cloud is ~25 UDP fragments under flow control) from its own threads after
/// `publish` returns; a writer deleted right away loses the last best-effort sample (seen in the
/// two-host test, once in 300).
const LINGER: Duration = Duration::from_secs(1);

/// Topics of ROS 2's own machinery, recorded only when named.
const INFRASTRUCTURE_TOPICS: [&str; 2] = ["/rosout", "/parameter_events"];

/// The ROS 2 side of a player: one untyped publisher per bag topic.
pub struct RosDestination {
    /// Owns the publishers' rcl handles: it must live as long as they do.
    _node: r2r::Node,
    publishers: HashMap<String, r2r::PublisherUntyped>,
    clock: Option<r2r::PublisherUntyped>,
}

impl RosDestination {
    /// A ROS 2 node named `node_name` (`-r __node:=` renames it) that advertises every topic
    /// `reader` will play, with the stack's QoS for each, before the first message: so that
    /// subscribers can be discovered first (see [`Self::wait_for_subscribers`]).
    pub fn new(
        node_name: &str,
        reader: &BagReader,
        topics: Option<&[String]>,
        remaps: &[(String, String)],
        publish_clock: bool,
    ) -> Result<Self> {
        edgefusion_ros2::check_ros_args(&std::env::args().collect::<Vec<_>>())?;
        let context = r2r::Context::create().context("initialising ROS 2 (rcl_init)")?;
        let mut node = r2r::Node::create(context, node_name, "")?;
        let mut publishers = HashMap::new();
        for topic in reader.topics() {
            if topics.is_some_and(|wanted| !wanted.contains(&topic.name)) {
                continue;
            }
            let name = remaps
                .iter()
                .find(|(from, _)| *from == topic.name)
                .map_or(topic.name.as_str(), |(_, to)| to.as_str());
            let profile = qos::to_r2r(&QosProfile::for_topic(&topic.name));
            let publisher = node
                .create_publisher_untyped(name, &topic.type_name, profile)
                .with_context(|| {
                    format!(
                        "cannot advertise {name}: message type {} is not available in this \
                         ROS 2 environment (IDL_PACKAGE_FILTER in target/ros2/env.sh)",
                        topic.type_name
                    )
                })?;
            publishers.insert(topic.name.clone(), publisher);
        }
        let clock = if publish_clock {
            let profile = qos::to_r2r(&QosProfile::for_topic(topics::CLOCK));
            Some(node.create_publisher_untyped(topics::CLOCK, Clock::TYPE_NAME, profile)?)
        } else {
            None
        };
        Ok(Self { _node: node, publishers, clock })
    }

    /// Waits until every advertised topic has a subscriber, at most `timeout`; returns the
    /// topics still without one. Discovery is symmetric but not simultaneous: when the writer
    /// sees the reader, the reader may not yet have matched the writer, and a best-effort sample
    /// sent in that gap is lost (seen in the interop tests). So it waits [`MATCH_SETTLE`] more.
    pub fn wait_for_subscribers(&mut self, timeout: Duration, stop: &AtomicBool) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        // Discovery runs on DDS's own threads; a node with only publishers has nothing to spin
        // (rcl refuses an empty wait set).
        loop {
            std::thread::sleep(Duration::from_millis(20));
            let missing: Vec<String> = self
                .publishers
                .iter()
                .filter(|(_, p)| p.get_inter_process_subscription_count().unwrap_or(0) == 0)
                .map(|(topic, _)| topic.clone())
                .collect();
            if missing.is_empty() {
                let settle = Instant::now() + MATCH_SETTLE;
                while Instant::now() < settle && !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(20));
                }
                return missing;
            }
            if Instant::now() >= deadline || stop.load(Ordering::Relaxed) {
                return missing;
            }
        }
    }
}

impl RosDestination {
    /// After the last message: keeps the publishers alive for [`LINGER`] so that DDS sends
    /// what it still holds, then drops them.
    pub fn finish(self) {
        std::thread::sleep(LINGER);
    }
}

impl Destination for RosDestination {
    fn publish(
        &mut self,
        topic: &Arc<TopicInfo>,
        name: &str,
        _t: i64,
        data: &[u8],
    ) -> Result<Outcome> {
        let publisher = self
            .publishers
            .get(&topic.name)
            .with_context(|| format!("bag topic {} was not advertised", topic.name))?;
        publisher.publish_raw(data).with_context(|| format!("publishing on {name}"))?;
        Ok(Outcome::Published)
    }

    fn publish_clock(&mut self, t: i64) -> Result<()> {
        if let Some(clock) = &self.clock {
            clock.publish_raw(&Clock { clock: Time::from_nanos(t) }.encode()?)?;
        }
        Ok(())
    }
}

pub struct RosRecordOptions {
    /// Topics to record; empty with `all` for every topic discovered.
    pub topics: Vec<String>,
    pub all: bool,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Stop after this many messages in all.
    pub max_messages: Option<u64>,
}

type RawStream = Box<dyn Stream<Item = Vec<u8>> + Unpin>;

/// Records ROS 2 topics into `writer` until `stop` is set (or the duration or message count
/// is reached). Topics are subscribed as discovery finds them, with a QoS that matches every
/// publisher (`qos::for_recording`); messages are stamped with the node's ROS clock at receipt.
pub fn record(
    mut writer: BagWriter,
    options: &RosRecordOptions,
    stop: &AtomicBool,
) -> Result<RecordReport> {
    if options.topics.is_empty() && !options.all {
        bail!("name the topics to record, or --all");
    }
    edgefusion_ros2::check_ros_args(&std::env::args().collect::<Vec<_>>())?;
    let context = r2r::Context::create().context("initialising ROS 2 (rcl_init)")?;
    let mut node = r2r::Node::create(context, "edgefusion_recorder", "")?;
    let clock = node.get_ros_clock();
    let mut subscribed: BTreeMap<String, RawStream> = BTreeMap::new();
    let mut unsupported: Vec<String> = Vec::new();
    let mut report = RecordReport::default();
    let mut total = 0u64;
    let started = Instant::now();
    let mut next_discovery = Instant::now();
    loop {
        let done = stop.load(Ordering::Relaxed)
            || options.duration.is_some_and(|d| started.elapsed() >= d)
            || options.max_messages.is_some_and(|n| total >= n);
        if done {
            break;
        }
        if Instant::now() >= next_discovery {
            next_discovery = Instant::now() + Duration::from_millis(100);
            subscribe_new(&mut node, options, &mut subscribed, &mut unsupported, &mut writer)?;
        }
        node.spin_once(Duration::from_millis(10));
        let now_ns =
            clock.lock().ok().and_then(|mut c| c.get_now().ok()).map_or(0, |d| d.as_nanos() as i64);
        for (topic, stream) in subscribed.iter_mut() {
            while let Some(Some(bytes)) = stream.next().now_or_never() {
                writer.write(topic, now_ns, now_ns, &bytes)?;
                *report.recorded.entry(topic.clone()).or_default() += 1;
                total += 1;
            }
        }
    }
    writer.finish()?;
    for topic in options.topics.iter().filter(|t| !subscribed.contains_key(*t)) {
        tracing::warn!("{topic}: no publisher was discovered; nothing recorded");
    }
    Ok(report)
}

/// Subscribes to the wanted topics that discovery has found since the last call.
fn subscribe_new(
    node: &mut r2r::Node,
    options: &RosRecordOptions,
    subscribed: &mut BTreeMap<String, RawStream>,
    unsupported: &mut Vec<String>,
    writer: &mut BagWriter,
) -> Result<()> {
    let discovered = node.get_topic_names_and_types()?;
    for (topic, types) in discovered {
        let wanted = options.topics.contains(&topic)
            || (options.all && !INFRASTRUCTURE_TOPICS.contains(&topic.as_str()));
        if !wanted || subscribed.contains_key(&topic) || unsupported.contains(&topic) {
            continue;
        }
        let Some(type_name) = types.first() else { continue };
        let offered: Vec<r2r::QosProfile> = node
            .get_publishers_info_by_topic(&topic, false)?
            .into_iter()
            .map(|info| info.qos_profile)
            .collect();
        let profile = qos::for_recording(&topic, &offered);
        match node.subscribe_raw(&topic, type_name, profile) {
            Ok(stream) => {
                writer.add_topic(topics::bag_topic(&topic, type_name))?;
                tracing::info!("recording {topic} ({type_name})");
                subscribed.insert(topic, Box::new(stream));
            }
            Err(e) => {
                tracing::warn!(
                    "{topic}: cannot subscribe to type {type_name} ({e}); not recorded \
                     (is its package in IDL_PACKAGE_FILTER?)"
                );
                unsupported.push(topic);
            }
        }
    }
    Ok(())
}
