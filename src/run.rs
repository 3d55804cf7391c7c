//! `edgefusion run`: the stack in one process. A bag is played onto the in-process bus, and the
//! fusion node, connected by [`FusionAdapter`], turns its images and clouds into
//! `/perception/objects`.
//!
//! The adapter is the only place that knows both the bus and the node: it subscribes with the
//! QoS of `topics.rs`, calls the transport-free node core, and publishes what it returns. A node
//! runtime with a ROS 2 transport will take its place; the node itself stays as it is.

use crate::eval::stats::Latency;
use crate::replay::{self, PlayOptions, PlayReport, RecordReport, Recorder};
use crate::topics::{self, QosProfile};
use anyhow::{Context, Result};
use edgefusion_bag::{BagReader, BagWriter, WriterOptions};
use edgefusion_bus::{Bus, Publisher, Subscription};
use edgefusion_fusion::{Counter, FusionNode, FusionStats, Stage, StageLatency};
use edgefusion_msgs::edgefusion::DetectedObjectArray;
use edgefusion_msgs::sensor_msgs::{CameraInfo, Image, PointCloud2};
use edgefusion_msgs::tf2_msgs::TFMessage;
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Connects a [`FusionNode`] to the bus on its own thread, until [`FusionAdapter::finish`].
pub struct FusionAdapter {
    thread: std::thread::JoinHandle<Result<AdapterReport>>,
    inputs_done: Arc<AtomicBool>,
}

/// The node after the run, and what the bus dropped before the node saw it.
pub struct AdapterReport {
    pub node: FusionNode,
    /// Messages published on `/perception/objects`.
    pub published: u64,
    /// Per input topic: messages evicted from the node's keep-last queues unread.
    pub dropped: BTreeMap<String, u64>,
}

struct Inputs {
    tf_static: Subscription<TFMessage>,
    camera_info: Subscription<CameraInfo>,
    image: Subscription<Image>,
    cloud: Subscription<PointCloud2>,
}

impl FusionAdapter {
    /// Subscribes and advertises now (so nothing published after this returns is missed), then
    /// runs the node on a thread of its own.
    pub fn start(bus: &Bus, node: FusionNode) -> Result<Self> {
        let qos = |topic: &str| QosProfile::for_topic(topic).bus_qos();
        let inputs = Inputs {
            tf_static: bus.subscribe(topics::TF_STATIC, qos(topics::TF_STATIC))?,
            camera_info: bus.subscribe(topics::CAMERA_INFO, qos(topics::CAMERA_INFO))?,
            image: bus.subscribe(topics::CAMERA_IMAGE, qos(topics::CAMERA_IMAGE))?,
            cloud: bus.subscribe(topics::LIDAR_POINTS, qos(topics::LIDAR_POINTS))?,
        };
        let output = bus.publisher::<DetectedObjectArray>(topics::PERCEPTION_OBJECTS)?;
        let inputs_done = Arc::new(AtomicBool::new(false));
        let done = Arc::clone(&inputs_done);
        let thread = std::thread::Builder::new()
            .name(FusionNode::NAME.into())
            .spawn(move || adapter_loop(node, inputs, output, &done))?;
        Ok(Self { thread, inputs_done })
    }

    /// Call when no more input will be published: the node works through what is queued, then
    /// stops and hands itself back.
    pub fn finish(self) -> Result<AdapterReport> {
        self.inputs_done.store(true, Ordering::Relaxed);
        self.thread.join().map_err(|_| anyhow::anyhow!("fusion node thread panicked"))?
    }
}

/// Queued images wait here for the cloud they belong to; as deep as the image queue.
const IMAGE_BACKLOG: usize = 5;

fn adapter_loop(
    mut node: FusionNode,
    inputs: Inputs,
    output: Publisher<DetectedObjectArray>,
    inputs_done: &AtomicBool,
) -> Result<AdapterReport> {
    let mut images: VecDeque<Arc<Image>> = VecDeque::new();
    let mut published = 0u64;
    loop {
        // Errors returned by the node's inputs are already counted (by reason) and logged by
        // the node; the adapter carries on with the next message.
        crossbeam_channel::select! {
            recv(inputs.tf_static.receiver()) -> m => match m {
                Ok(m) => { let _ = node.on_tf_static(&m); }
                Err(_) => break,
            },
            recv(inputs.camera_info.receiver()) -> m => match m {
                Ok(m) => { let _ = node.on_camera_info(&m); }
                Err(_) => break,
            },
            recv(inputs.image.receiver()) -> m => match m {
                Ok(m) => keep_image(&mut images, m),
                Err(_) => break,
            },
            recv(inputs.cloud.receiver()) -> m => match m {
                Ok(cloud) => {
                    published += on_cloud(&mut node, &inputs, &mut images, &cloud, &output)?;
                }
                Err(_) => break,
            },
            default(Duration::from_millis(50)) => {
                // The player has returned, so everything it published is queued by now.
                if inputs_done.load(Ordering::Relaxed) && inputs.cloud.receiver().is_empty() {
                    break;
                }
            },
        }
    }
    let dropped = [
        (topics::TF_STATIC, inputs.tf_static.drops()),
        (topics::CAMERA_INFO, inputs.camera_info.drops()),
        (topics::CAMERA_IMAGE, inputs.image.drops()),
        (topics::LIDAR_POINTS, inputs.cloud.drops()),
    ]
    .into_iter()
    .map(|(topic, n)| (topic.to_string(), n))
    .collect();
    Ok(AdapterReport { node, published, dropped })
}

fn keep_image(images: &mut VecDeque<Arc<Image>>, image: Arc<Image>) {
    images.push_back(image);
    if images.len() > IMAGE_BACKLOG {
        images.pop_front();
    }
}

/// One cloud through the node. The player publishes a frame's camera_info and image before its
/// cloud, but the node's queues are read in no fixed order: so everything already queued on the
/// other inputs is taken first, and the node is given the images up to the cloud's stamp (it
/// keeps the newest), not the next frame's. Returns the number of messages published.
fn on_cloud(
    node: &mut FusionNode,
    inputs: &Inputs,
    images: &mut VecDeque<Arc<Image>>,
    cloud: &PointCloud2,
    output: &Publisher<DetectedObjectArray>,
) -> Result<u64> {
    while let Ok(Some(tf)) = inputs.tf_static.try_recv() {
        let _ = node.on_tf_static(&tf);
    }
    while let Ok(Some(info)) = inputs.camera_info.try_recv() {
        let _ = node.on_camera_info(&info);
    }
    while let Ok(Some(image)) = inputs.image.try_recv() {
        keep_image(images, image);
    }
    let cloud_ns = cloud.header.stamp.as_nanos();
    while images.front().is_some_and(|i| i.header.stamp.as_nanos() <= cloud_ns) {
        let _ = node.on_image(images.pop_front().expect("checked"));
    }
    match node.on_cloud(cloud) {
        Ok(Some(objects)) => {
            // Stamped on the bus with the sensor time, so a recording keeps the bag's timeline.
            let stamp_ns = objects.header.stamp.as_nanos();
            output.publish_at(objects, stamp_ns).context("publishing /perception/objects")?;
            Ok(1)
        }
        Ok(None) | Err(_) => Ok(0),
    }
}

/// Per stage of the node, p50/p99 over all clouds (stages without samples left out).
pub fn latency_by_stage(latency: &StageLatency) -> BTreeMap<String, Latency> {
    Stage::ALL
        .iter()
        .filter_map(|&stage| {
            Some((
                stage.name().to_string(),
                Latency {
                    p50_ms: latency.quantile_ms(stage, 0.5)?,
                    p99_ms: latency.quantile_ms(stage, 0.99)?,
                    samples: latency.histogram(stage).len() as usize,
                },
            ))
        })
        .collect()
}

/// The node's counters of rejected inputs and degraded (empty) outputs, by reason.
pub fn problems(stats: &FusionStats) -> BTreeMap<String, u64> {
    const NOT_PROBLEMS: [Counter; 7] = [
        Counter::CloudsReceived,
        Counter::ImagesReceived,
        Counter::CameraInfosReceived,
        Counter::TfStaticReceived,
        Counter::Outputs,
        Counter::ObjectsPublished,
        // A count of points, not of frames; the model ignores them by contract.
        Counter::NonFinitePoints,
    ];
    stats
        .non_zero()
        .filter(|(counter, _)| !NOT_PROBLEMS.contains(counter))
        .map(|(counter, n)| (counter.name().to_string(), n))
        .collect()
}

pub struct RunOptions {
    pub bag: PathBuf,
    /// Playback speed; `None` as fast as possible.
    pub rate: Option<f64>,
    /// Record every topic of the bag and `/perception/objects` into a new bag.
    pub record: Option<(PathBuf, WriterOptions)>,
}

/// What `edgefusion run` prints at the end.
#[derive(Debug)]
pub struct RunSummary {
    pub clouds_in: u64,
    pub images_in: u64,
    pub outputs: u64,
    pub objects_out: u64,
    pub latency: BTreeMap<String, Latency>,
    pub errors: BTreeMap<String, u64>,
    pub dropped: BTreeMap<String, u64>,
    pub played: PlayReport,
    pub recorded: Option<RecordReport>,
}

/// Plays the bag through `node` (and into the recording), until the bag ends or `stop` is set.
pub fn run(node: FusionNode, options: &RunOptions, stop: &AtomicBool) -> Result<RunSummary> {
    let reader = BagReader::open(&options.bag)
        .with_context(|| format!("opening bag {}", options.bag.display()))?;
    let bus = Bus::new();
    let adapter = FusionAdapter::start(&bus, node)?;
    let recorder = match &options.record {
        Some((path, writer_options)) => {
            let mut topics: Vec<String> = reader.topics().iter().map(|t| t.name.clone()).collect();
            if !topics.iter().any(|t| t == topics::PERCEPTION_OBJECTS) {
                topics.push(topics::PERCEPTION_OBJECTS.to_string());
            }
            let writer = BagWriter::create(path, writer_options.clone())
                .with_context(|| format!("creating bag {}", path.display()))?;
            Some(Recorder::start(&bus, &topics, writer)?)
        }
        None => None,
    };
    // A bag recorded by `run` holds the node's earlier output: the node makes that topic now.
    let inputs: Vec<String> = reader
        .topics()
        .iter()
        .map(|t| t.name.clone())
        .filter(|t| t != topics::PERCEPTION_OBJECTS)
        .collect();
    let play_options =
        PlayOptions { rate: options.rate, topics: Some(inputs), ..Default::default() };
    let played = replay::play(&reader, &bus, &play_options, stop);
    // The node finishes the queued frames before the recorder closes the bag.
    let adapter = adapter.finish();
    let recorded = recorder.map(Recorder::finish).transpose();
    let (played, adapter, recorded) = (played?, adapter?, recorded?);
    let stats = adapter.node.stats();
    Ok(RunSummary {
        clouds_in: stats.get(Counter::CloudsReceived),
        images_in: stats.get(Counter::ImagesReceived),
        outputs: adapter.published,
        objects_out: stats.get(Counter::ObjectsPublished),
        latency: latency_by_stage(adapter.node.latency()),
        errors: problems(stats),
        dropped: adapter.dropped.into_iter().filter(|(_, n)| *n > 0).collect(),
        played,
        recorded,
    })
}

impl RunSummary {
    pub fn render(&self) -> String {
        let mut out = format!(
            "frames in: {} clouds, {} images\nobjects out: {} in {} messages on {}\n",
            self.clouds_in,
            self.images_in,
            self.objects_out,
            self.outputs,
            topics::PERCEPTION_OBJECTS
        );
        for (stage, l) in &self.latency {
            out += &format!(
                "latency {stage:<10} p50 {:>8.2} ms  p99 {:>8.2} ms\n",
                l.p50_ms, l.p99_ms
            );
        }
        if self.errors.is_empty() {
            out += "errors: none\n";
        }
        for (reason, n) in &self.errors {
            out += &format!("errors: {n:>6} {reason}\n");
        }
        for (topic, n) in &self.dropped {
            out += &format!("dropped {n:>6} on {topic} (node busy, keep-last queue full)\n");
        }
        if self.played.undecodable > 0 {
            out += &format!("skipped {} undecodable messages\n", self.played.undecodable);
        }
        for (topic, n) in self.recorded.iter().flat_map(|r| &r.recorded) {
            out += &format!("recorded {n:>8} on {topic}\n");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgefusion_bus::Qos;
    use edgefusion_fusion::FusionParams;
    use edgefusion_msgs::builtin_interfaces::Time;

    #[test]
    fn every_cloud_yields_one_output_stamped_on_the_sensor_timeline() {
        let bus = Bus::new();
        let outputs = bus
            .subscribe::<DetectedObjectArray>(topics::PERCEPTION_OBJECTS, Qos::reliable())
            .unwrap();
        // Without a model the node publishes empty arrays: the adapter's plumbing is what is
        // tested here (tests/eval.rs runs it with the real model).
        let node = FusionNode::with_model(FusionParams::default(), None);
        let adapter = FusionAdapter::start(&bus, node).unwrap();
        let clouds = bus.publisher::<PointCloud2>(topics::LIDAR_POINTS).unwrap();
        let stamps = [1_000_000_000i64, 1_100_000_000, 1_200_000_000];
        for ns in stamps {
            let cloud = edgefusion_kitti::convert::point_cloud(Vec::new(), Time::from_nanos(ns));
            clouds.publish(cloud).unwrap();
            // Reliable output: wait for each, so the keep-last cloud queue never overflows.
            let objects = outputs.recv_timeout(Duration::from_secs(10)).unwrap().unwrap();
            assert_eq!(objects.header.stamp.as_nanos(), ns);
        }
        let report = adapter.finish().unwrap();
        assert_eq!(report.published, 3);
        assert_eq!(report.node.stats().get(Counter::CloudsReceived), 3);
        assert_eq!(problems(report.node.stats()), [("no_model".to_string(), 3)].into());
        assert!(report.dropped.values().all(|&n| n == 0));
    }
}
