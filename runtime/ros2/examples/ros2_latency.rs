//! One-way latency of sensor_msgs/PointCloud2 between two processes through r2r, and through the
//! in-process bus for the same payloads. `scripts/bench/ros2` runs it next to an rclpy pair
//! (`scripts/bench/ros2_rclpy.py`, same method) and prints the table.
//!
//! Method: the publisher stamps `header.stamp` with the wall clock (CLOCK_REALTIME) just before it
//! publishes — for r2r before our CDR encoding, since an edgefusion node encodes on every publish —
//! and the subscriber reads the wall clock once it holds a usable message: for r2r after
//! `subscribe_raw` handed the bytes over and `edgefusion_msgs` decoded them, exactly what
//! edgefusion nodes do. Latency = receipt − stamp (same host, same clock). `header.frame_id`
//! carries the sequence number: the subscriber discards the warm-up and counts what was lost.
//! QoS: reliable, keep last 10, volatile.
//!
//! ```text
//! ros2_latency sub    --size 2097152 --rate 10 --count 100 --warmup 10
//! ros2_latency pub    --size 2097152 --rate 10 --count 100 --warmup 10
//! ros2_latency inproc --size 2097152 --rate 0  --count 500 --warmup 50
//! ```
//! `--rate 0` publishes as fast as possible. The subscriber (or `inproc`) prints one line
//! `RESULT key=value ...`; every process ends by itself (bounded counts and timeouts).

use anyhow::{bail, Context as _, Result};
use clap::{Args, Parser, Subcommand};
use edgefusion_bus::{Bus, Qos};
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::sensor_msgs::point_cloud::PACKED_XYZI_STEP;
use edgefusion_msgs::sensor_msgs::{packed_xyzi, PointCloud2};
use edgefusion_msgs::std_msgs::Header;
use edgefusion_msgs::Message;
use edgefusion_ros2::r2r;
use futures::{FutureExt as _, StreamExt as _};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Queue depth on every path: ROS 2's default reliable profile, and the bus's `Qos::reliable()`.
const DEPTH: usize = 10;
/// After the first message, this long without one means the rest is lost.
const IDLE: Duration = Duration::from_secs(5);
/// How long one spin waits for DDS; it returns as soon as a message is there.
const SPIN: Duration = Duration::from_millis(10);

#[derive(Parser)]
#[command(about = "PointCloud2 latency through r2r (pub/sub) or the in-process bus (inproc)")]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// Publish through r2r (waits for a subscriber first, then until it has left).
    Pub(Load),
    /// Subscribe through r2r and print the RESULT line.
    Sub(Load),
    /// Publisher thread → subscriber thread over edgefusion-bus; prints the RESULT line.
    Inproc(Load),
}

#[derive(Args, Clone)]
struct Load {
    /// Bytes of PointCloud2.data (a multiple of 16: packed x, y, z, intensity).
    #[arg(long)]
    size: usize,
    /// Messages per second; 0 = as fast as possible.
    #[arg(long, default_value_t = 10.0)]
    rate: f64,
    /// Messages measured, after the warm-up.
    #[arg(long, default_value_t = 100)]
    count: u64,
    /// Messages sent first and not measured.
    #[arg(long, default_value_t = 10)]
    warmup: u64,
    #[arg(long, default_value = "/bench/points")]
    topic: String,
    /// Seconds a process may run in all before it gives up.
    #[arg(long, default_value_t = 120.0)]
    timeout: f64,
}

impl Load {
    fn total(&self) -> u64 {
        self.warmup + self.count
    }

    fn deadline(&self) -> Instant {
        Instant::now() + Duration::from_secs_f64(self.timeout)
    }
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let load = match &cli.mode {
        Mode::Pub(load) | Mode::Sub(load) | Mode::Inproc(load) => load,
    };
    if load.size % PACKED_XYZI_STEP != 0
        || load.count == 0
        || !load.rate.is_finite()
        || load.rate < 0.0
    {
        bail!(
            "--size must be a multiple of {PACKED_XYZI_STEP}, --count > 0 and --rate a number >= 0"
        );
    }
    match &cli.mode {
        Mode::Pub(load) => publish(load),
        Mode::Sub(load) => subscribe(load),
        Mode::Inproc(load) => in_process(load),
    }
}

fn qos() -> r2r::QosProfile {
    r2r::QosProfile::default().keep_last(DEPTH).reliable().volatile()
}

fn wall_ns() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i64)
}

/// A cloud of `size` bytes of finite points, as a lidar driver would hand over.
fn cloud_of(size: usize) -> PointCloud2 {
    let data = (0..size / 4).flat_map(|i| ((i % 1000) as f32 * 0.01).to_le_bytes()).collect();
    packed_xyzi(Header { stamp: Time::default(), frame_id: String::new() }, data)
}

/// Sends message `seq` at start + seq / rate (no catching up in bursts: a late message just
/// goes as soon as it can, the next keeps its slot).
struct Pace {
    start: Instant,
    period: Option<Duration>,
}

impl Pace {
    fn new(rate: f64) -> Self {
        Self {
            start: Instant::now(),
            period: (rate > 0.0).then(|| Duration::from_secs_f64(1.0 / rate)),
        }
    }

    fn wait(&self, seq: u64) {
        if let Some(period) = self.period {
            let due = self.start + period.mul_f64(seq as f64);
            if let Some(left) = due.checked_duration_since(Instant::now()) {
                thread::sleep(left);
            }
        }
    }
}

fn publish(load: &Load) -> Result<()> {
    let deadline = load.deadline();
    let context = r2r::Context::create().context("initialising ROS 2")?;
    let mut node = r2r::Node::create(context, "ros2_latency_pub", "")?;
    let publisher = node.create_publisher_untyped(&load.topic, PointCloud2::TYPE_NAME, qos())?;
    let subscribers = || publisher.get_inter_process_subscription_count().unwrap_or(0);
    while subscribers() == 0 {
        if Instant::now() > deadline {
            bail!("no subscriber of {} discovered within {} s", load.topic, load.timeout);
        }
        thread::sleep(Duration::from_millis(20));
    }
    let mut cloud = cloud_of(load.size);
    let pace = Pace::new(load.rate);
    let mut sent = SendRate::new(load);
    for seq in 0..load.total() {
        pace.wait(seq);
        sent.before(seq);
        cloud.header.frame_id = seq.to_string();
        cloud.header.stamp = Time::from_nanos(wall_ns());
        let bytes = cloud.encode().context("encoding PointCloud2")?;
        publisher.publish_raw(&bytes).with_context(|| format!("publishing #{seq}"))?;
    }
    println!("SENT sent_per_s={:.1}", sent.per_s());
    // A reliable writer must live until the reader has everything (repairs of lost fragments
    // come from its history): the subscriber leaves when it is done.
    while subscribers() > 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    if subscribers() > 0 {
        eprintln!("ros2_latency pub: the subscriber was still there after {} s", load.timeout);
    }
    Ok(())
}

fn subscribe(load: &Load) -> Result<()> {
    let deadline = load.deadline();
    let context = r2r::Context::create().context("initialising ROS 2")?;
    let mut node = r2r::Node::create(context, "ros2_latency_sub", "")?;
    let mut stream = node.subscribe_raw(&load.topic, PointCloud2::TYPE_NAME, qos())?;
    let mut tally = Tally::new(load);
    while !tally.done && !tally.idle() && Instant::now() < deadline {
        node.spin_once(SPIN);
        // r2r takes one message per spin into a channel of 10: drained on every spin.
        while let Some(Some(bytes)) = stream.next().now_or_never() {
            match PointCloud2::decode(&bytes) {
                Ok(cloud) => tally.record(&cloud, wall_ns()),
                Err(e) => {
                    tally.bad += 1;
                    eprintln!(
                        "ros2_latency sub: undecodable PointCloud2 ({} bytes): {e}",
                        bytes.len()
                    );
                }
            }
        }
    }
    println!("{}", tally.result("r2r", load));
    Ok(())
}

fn in_process(load: &Load) -> Result<()> {
    let deadline = load.deadline();
    let bus = Bus::new();
    let subscription = bus.subscribe::<PointCloud2>(&load.topic, Qos::Reliable { depth: DEPTH })?;
    let publisher = bus.publisher::<PointCloud2>(&load.topic)?;
    let reader_load = load.clone();
    let reader = thread::spawn(move || {
        let mut tally = Tally::new(&reader_load);
        while !tally.done && Instant::now() < deadline {
            match subscription.recv_timeout(IDLE) {
                Ok(Some(cloud)) => tally.record(&cloud, wall_ns()),
                Ok(None) | Err(_) => break,
            }
        }
        tally.result("bus", &reader_load)
    });
    let template = cloud_of(load.size);
    let pace = Pace::new(load.rate);
    let mut sent = SendRate::new(load);
    for seq in 0..load.total() {
        pace.wait(seq);
        sent.before(seq);
        // A fresh frame per message, as a driver makes one; the copy is before the stamp.
        let mut cloud = template.clone();
        cloud.header.frame_id = seq.to_string();
        cloud.header.stamp = Time::from_nanos(wall_ns());
        publisher.publish(cloud).with_context(|| format!("publishing #{seq} on the bus"))?;
    }
    let sent_per_s = sent.per_s();
    let line = reader.join().map_err(|_| anyhow::anyhow!("the subscriber thread panicked"))?;
    bus.shutdown();
    println!("{line} sent_per_s={sent_per_s:.1}");
    Ok(())
}

/// The publisher's rate over the measured messages: from the first one's send to the last one's.
struct SendRate {
    warmup: u64,
    first: Option<Instant>,
    last: Option<Instant>,
    sent: u64,
}

impl SendRate {
    fn new(load: &Load) -> Self {
        Self { warmup: load.warmup, first: None, last: None, sent: 0 }
    }

    fn before(&mut self, seq: u64) {
        if seq >= self.warmup {
            let now = Instant::now();
            self.first.get_or_insert(now);
            self.last = Some(now);
            self.sent += 1;
        }
    }

    fn per_s(&self) -> f64 {
        match (self.first, self.last) {
            (Some(first), Some(last)) if last > first => {
                (self.sent - 1) as f64 / (last - first).as_secs_f64()
            }
            _ => 0.0,
        }
    }
}

/// What the subscriber saw: latencies of the measured messages, losses, oddities.
struct Tally {
    size: usize,
    warmup: u64,
    seen: Vec<bool>,
    latencies_ns: Vec<i64>,
    /// Receipt of the first and the latest measured message, for the rate achieved.
    first: Option<Instant>,
    latest: Option<Instant>,
    /// Receipt of anything (warm-up included), for the idle timeout.
    heard: Option<Instant>,
    /// Undecodable, wrong size, unreadable or out-of-range sequence number, duplicates.
    bad: u64,
    /// The last message arrived (delivery is in order, so nothing more will).
    done: bool,
}

impl Tally {
    fn new(load: &Load) -> Self {
        Self {
            size: load.size,
            warmup: load.warmup,
            seen: vec![false; load.count as usize],
            latencies_ns: Vec::with_capacity(load.count as usize),
            first: None,
            latest: None,
            heard: None,
            bad: 0,
            done: false,
        }
    }

    fn record(&mut self, cloud: &PointCloud2, received_ns: i64) {
        let now = Instant::now();
        self.heard = Some(now);
        let Ok(seq) = cloud.header.frame_id.parse::<u64>() else {
            self.bad += 1;
            return;
        };
        if cloud.data.len() != self.size {
            self.bad += 1;
            return;
        }
        let Some(index) = seq.checked_sub(self.warmup) else { return };
        match self.seen.get_mut(index as usize) {
            Some(seen) if !*seen => *seen = true,
            _ => {
                self.bad += 1;
                return;
            }
        }
        self.latencies_ns.push(received_ns - cloud.header.stamp.as_nanos());
        self.first.get_or_insert(now);
        self.latest = Some(now);
        self.done = index as usize + 1 == self.seen.len();
    }

    fn idle(&self) -> bool {
        self.heard.is_some_and(|t| t.elapsed() > IDLE)
    }

    fn result(&self, transport: &str, load: &Load) -> String {
        let mut sorted = self.latencies_ns.clone();
        sorted.sort_unstable();
        let received = sorted.len();
        let us = |ns: Option<&i64>| ns.map_or(f64::NAN, |&ns| ns as f64 / 1000.0);
        let rate = match (self.first, self.latest) {
            (Some(first), Some(latest)) if received > 1 => {
                (received - 1) as f64 / (latest - first).as_secs_f64()
            }
            _ => 0.0,
        };
        format!(
            "RESULT transport={transport} size={} rate={} count={} received={received} lost={} \
             bad={} p50_us={:.1} p99_us={:.1} max_us={:.1} msgs_per_s={rate:.1}",
            load.size,
            load.rate,
            load.count,
            self.seen.len() - received,
            self.bad,
            us(nearest_rank(&sorted, 0.50)),
            us(nearest_rank(&sorted, 0.99)),
            us(sorted.last()),
        )
    }
}

/// The q-quantile of sorted values by nearest rank (the same definition as the rclpy script).
fn nearest_rank(sorted: &[i64], q: f64) -> Option<&i64> {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.max(1) - 1)
}
