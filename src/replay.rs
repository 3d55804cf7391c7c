//! Bag replay onto the in-process bus, and recording from it.
//!
//! The player decodes each message whose type the stack knows (so nodes receive typed
//! `Arc<T>`s, exactly as from a live driver) and passes any other type through as a
//! [`SerializedMessage`] that keeps its bag topic description; the recorder writes both kinds
//! back. Every message travels with its bag receive time as the bus stamp, so recording a
//! replay reproduces the original timestamps: record(play(A)) == A.

use crate::topics;
use anyhow::{bail, Context, Result};
use edgefusion_bag::{BagReader, BagWriter, ReadOptions, TopicInfo};
use edgefusion_bus::{AnyPublisher, AnySubscription, Bus, Qos};
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::registry;
use edgefusion_msgs::rosgraph_msgs::Clock;
use std::any::TypeId;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A message of a type the stack has no Rust type for, kept as recorded.
#[derive(Debug, Clone)]
pub struct SerializedMessage {
    pub topic: Arc<TopicInfo>,
    pub data: Vec<u8>,
}

const SERIALIZED_TYPE_NAME: &str = "edgefusion::replay::SerializedMessage";

#[derive(Debug, Clone)]
pub struct PlayOptions {
    /// Playback speed relative to the recording; `None` plays as fast as possible.
    pub rate: Option<f64>,
    pub looping: bool,
    pub topics: Option<Vec<String>>,
    /// (from, to) topic renames.
    pub remaps: Vec<(String, String)>,
    /// Skip this much of the bag's beginning.
    pub start_offset_ns: i64,
    /// Publish `/clock` (rosgraph_msgs/Clock) with the bag time, for nodes on sim time.
    pub publish_clock: bool,
    pub skip_corrupt: bool,
}

impl Default for PlayOptions {
    fn default() -> Self {
        Self {
            rate: Some(1.0),
            looping: false,
            topics: None,
            remaps: Vec::new(),
            start_offset_ns: 0,
            publish_clock: false,
            skip_corrupt: false,
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct PlayReport {
    /// Messages published per (remapped) topic.
    pub published: BTreeMap<String, u64>,
    /// Messages whose payload did not decode as their declared type: logged and skipped.
    pub undecodable: u64,
    pub corrupt_chunks_skipped: u64,
}

/// How often /clock is published at most, in bag time.
const CLOCK_PERIOD_NS: i64 = 10_000_000;

/// Where a player sends the bag's messages: the in-process bus here, ROS 2 in `ros2_bag`.
pub trait Destination {
    /// Publishes one recorded message (its CDR bytes) of bag topic `topic` on topic `name` (the
    /// bag topic, remapped), at bag time `t`.
    fn publish(
        &mut self,
        topic: &Arc<TopicInfo>,
        name: &str,
        t: i64,
        data: &[u8],
    ) -> Result<Outcome>;
    /// Publishes `/clock` with bag time `t`.
    fn publish_clock(&mut self, t: i64) -> Result<()>;
}

/// What became of one message.
pub enum Outcome {
    Published,
    /// Its bytes do not decode as its declared type: logged and skipped by the player.
    Undecodable(edgefusion_msgs::CdrError),
}

/// Plays `reader` onto `bus` until the bag ends (or forever with `looping`) or `stop` is set.
pub fn play(
    reader: &BagReader,
    bus: &Bus,
    options: &PlayOptions,
    stop: &AtomicBool,
) -> Result<PlayReport> {
    let clock =
        if options.publish_clock { Some(bus.publisher::<Clock>(topics::CLOCK)?) } else { None };
    let mut destination = BusDestination { bus, by_topic: HashMap::new(), clock };
    play_to(reader, &mut destination, options, stop)
}

/// Plays `reader` into `destination` in recorded order and (with a rate) timing.
pub fn play_to(
    reader: &BagReader,
    destination: &mut dyn Destination,
    options: &PlayOptions,
    stop: &AtomicBool,
) -> Result<PlayReport> {
    let start_ns = match reader.summary().start_ns {
        Some(start) => start + options.start_offset_ns,
        None => return Ok(PlayReport::default()), // an empty bag
    };
    let mut report = PlayReport::default();
    let bar = crate::progress::bar(0, "playing");
    loop {
        let read = ReadOptions {
            topics: options.topics.clone(),
            start_ns: Some(start_ns),
            stop_ns: None,
            skip_corrupt: options.skip_corrupt,
        };
        let wall_start = Instant::now();
        let mut last_clock_ns: Option<i64> = None;
        for message in reader.messages(read) {
            if stop.load(Ordering::Relaxed) {
                return Ok(report);
            }
            let message = message?;
            let t = message.log_time_ns;
            if let Some(rate) = options.rate {
                let due =
                    wall_start + Duration::from_nanos(((t - start_ns).max(0) as f64 / rate) as u64);
                if !sleep_until(due, stop) {
                    return Ok(report);
                }
            }
            if options.publish_clock && last_clock_ns.is_none_or(|last| t - last >= CLOCK_PERIOD_NS)
            {
                destination.publish_clock(t)?;
                last_clock_ns = Some(t);
            }
            let name = options
                .remaps
                .iter()
                .find(|(from, _)| *from == message.topic.name)
                .map_or(message.topic.name.as_str(), |(_, to)| to.as_str());
            match destination.publish(&message.topic, name, t, &message.data)? {
                Outcome::Published => *report.published.entry(name.to_string()).or_default() += 1,
                Outcome::Undecodable(error) => {
                    report.undecodable += 1;
                    tracing::warn!(topic = %message.topic.name, stamp_ns = t, %error, "skipping a message that does not decode");
                }
            }
            bar.inc(1);
        }
        report.corrupt_chunks_skipped = reader.corrupt_chunks_skipped();
        if !options.looping {
            break;
        }
    }
    bar.finish_and_clear();
    Ok(report)
}

/// Sleeps until `due` in short slices so a stop request is seen quickly; false if stopped.
fn sleep_until(due: Instant, stop: &AtomicBool) -> bool {
    loop {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        let now = Instant::now();
        if now >= due {
            return true;
        }
        std::thread::sleep((due - now).min(Duration::from_millis(50)));
    }
}

type Decode = Box<dyn Fn(&[u8]) -> Result<registry::AnyMessage, edgefusion_msgs::CdrError>>;

struct TopicPublisher {
    bus: AnyPublisher,
    decode: Decode,
}

/// The in-process bus: one publisher per bag topic, typed when the stack knows the type (nodes
/// receive `Arc<T>`s as from a live driver), else [`SerializedMessage`]s.
struct BusDestination<'a> {
    bus: &'a Bus,
    by_topic: HashMap<String, TopicPublisher>,
    clock: Option<edgefusion_bus::Publisher<Clock>>,
}

impl Destination for BusDestination<'_> {
    fn publish(
        &mut self,
        topic: &Arc<TopicInfo>,
        name: &str,
        t: i64,
        data: &[u8],
    ) -> Result<Outcome> {
        if !self.by_topic.contains_key(&topic.name) {
            let publisher = self.create(name, topic).with_context(|| {
                format!(
                    "bag topic {} of type {} cannot be played onto {name}",
                    topic.name, topic.type_name
                )
            })?;
            self.by_topic.insert(topic.name.clone(), publisher);
        }
        let publisher = &self.by_topic[&topic.name];
        match (publisher.decode)(data) {
            Ok(payload) => {
                publisher.bus.publish_at(payload, t)?;
                Ok(Outcome::Published)
            }
            Err(error) => Ok(Outcome::Undecodable(error)),
        }
    }

    fn publish_clock(&mut self, t: i64) -> Result<()> {
        if let Some(clock) = &self.clock {
            clock.publish_at(Clock { clock: Time::from_nanos(t) }, t)?;
        }
        Ok(())
    }
}

impl BusDestination<'_> {
    fn create(&self, name: &str, topic: &Arc<TopicInfo>) -> Result<TopicPublisher> {
        Ok(match registry::by_name(&topic.type_name) {
            Some(entry) => TopicPublisher {
                bus: self.bus.publisher_any(name, entry.type_id, entry.type_name)?,
                decode: Box::new(entry.decode),
            },
            None => {
                tracing::info!(topic = %topic.name, type_name = %topic.type_name,
                    "no Rust type for this message type: publishing it serialized");
                let info = Arc::clone(topic);
                TopicPublisher {
                    bus: self.bus.publisher_any(
                        name,
                        TypeId::of::<SerializedMessage>(),
                        SERIALIZED_TYPE_NAME,
                    )?,
                    decode: Box::new(move |data| {
                        Ok(Arc::new(SerializedMessage {
                            topic: Arc::clone(&info),
                            data: data.to_vec(),
                        }) as registry::AnyMessage)
                    }),
                }
            }
        })
    }
}

/// Records topics of the bus into a bag on its own thread, until [`Recorder::finish`].
pub struct Recorder {
    thread: std::thread::JoinHandle<Result<RecordReport>>,
    stop: Arc<AtomicBool>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct RecordReport {
    pub recorded: BTreeMap<String, u64>,
}

/// Recording queues are deep: a recorder must absorb disk hiccups without dropping (and
/// reliable QoS makes publishers wait rather than lose data when it cannot keep up).
const RECORD_QUEUE_DEPTH: usize = 256;

impl Recorder {
    pub fn start(bus: &Bus, topics: &[String], writer: BagWriter) -> Result<Self> {
        if topics.is_empty() {
            bail!("no topics to record");
        }
        let subscriptions = topics
            .iter()
            .map(|t| bus.subscribe_any(t, Qos::Reliable { depth: RECORD_QUEUE_DEPTH }))
            .collect::<Result<Vec<_>, _>>()?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("recorder".into())
            .spawn(move || record_loop(subscriptions, writer, &thread_stop))?;
        Ok(Self { thread, stop })
    }

    /// Writes what is still queued, closes the bag and returns what was recorded.
    pub fn finish(self) -> Result<RecordReport> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().map_err(|_| anyhow::anyhow!("recorder thread panicked"))?
    }
}

fn record_loop(
    subscriptions: Vec<AnySubscription>,
    mut writer: BagWriter,
    stop: &AtomicBool,
) -> Result<RecordReport> {
    let mut report = RecordReport::default();
    let mut declared = std::collections::HashSet::new();
    let mut select = crossbeam_channel::Select::new();
    for sub in &subscriptions {
        select.recv(sub.receiver());
    }
    loop {
        let index = match select.select_timeout(Duration::from_millis(50)) {
            Ok(op) => {
                let index = op.index();
                match op.recv(subscriptions[index].receiver()) {
                    Ok(message) => {
                        write_one(
                            &mut writer,
                            &mut declared,
                            subscriptions[index].topic(),
                            &message,
                        )?;
                        *report
                            .recorded
                            .entry(subscriptions[index].topic().to_string())
                            .or_default() += 1;
                        continue;
                    }
                    Err(_) => Some(index), // bus shut down
                }
            }
            Err(_) => None,
        };
        let drained = index.is_some() || stop.load(Ordering::Relaxed);
        if drained {
            // Take whatever is still queued, then close the bag.
            for sub in &subscriptions {
                while let Ok(Some(message)) = sub.try_recv() {
                    write_one(&mut writer, &mut declared, sub.topic(), &message)?;
                    *report.recorded.entry(sub.topic().to_string()).or_default() += 1;
                }
            }
            writer.finish()?;
            return Ok(report);
        }
    }
}

fn write_one(
    writer: &mut BagWriter,
    declared: &mut std::collections::HashSet<String>,
    topic: &str,
    message: &edgefusion_bus::AnyMessage,
) -> Result<()> {
    let stamp = message.stamp_ns;
    if let Some(serialized) = message.downcast::<SerializedMessage>() {
        if declared.insert(topic.to_string()) {
            writer
                .add_topic(TopicInfo { name: topic.to_string(), ..(*serialized.topic).clone() })?;
        }
        return Ok(writer.write(topic, stamp, stamp, &serialized.data)?);
    }
    let entry = registry::by_type_id(message.payload_type_id()).with_context(|| {
        format!("{topic}: cannot record messages of Rust type {}", message.type_name)
    })?;
    let bytes = (entry.encode)(&*message.payload)?;
    if declared.insert(topic.to_string()) {
        writer.add_topic(topics::bag_topic(topic, entry.type_name))?;
    }
    Ok(writer.write(topic, stamp, stamp, &bytes)?)
}
