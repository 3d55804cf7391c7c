//! `edgefusion run`: the stack in one process. A bag is played onto the in-process bus and the
//! nodes, each hosted by the in-process runtime (`edgefusion_inprocess`), turn its messages into
//! theirs; a recorder can keep both.

use crate::replay::{self, PlayOptions, PlayReport, RecordReport, Recorder};
use anyhow::{Context, Result};
use edgefusion_bag::{BagReader, BagWriter, WriterOptions};
use edgefusion_bus::Bus;
use edgefusion_inprocess::{Finished, RunningNode};
use edgefusion_node::{NodeCore, NodeReport};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

/// A node of the stack with the bus topic each of its ports resolves to (identity without a
/// launch file; namespaces and remaps with one).
pub struct StackNode {
    pub name: String,
    pub core: Box<dyn NodeCore>,
    pub topic: Box<dyn Fn(&str) -> String>,
}

impl StackNode {
    /// A node under its own name, on the stack's default topics.
    pub fn plain(core: Box<dyn NodeCore>) -> Self {
        Self { name: core.name().to_string(), core, topic: Box::new(|t| t.to_string()) }
    }
}

impl From<crate::launch_plan::LaunchedNode> for StackNode {
    fn from(node: crate::launch_plan::LaunchedNode) -> Self {
        let name = node.names.fully_qualified_name();
        let names = node.names;
        let topic = move |t: &str| names.resolve_topic(t).unwrap_or_else(|_| t.to_string());
        Self { name, core: node.core, topic: Box::new(topic) }
    }
}

pub struct RunOptions {
    pub bag: PathBuf,
    /// Playback speed; `None` as fast as possible.
    pub rate: Option<f64>,
    /// Record every topic of the bag and the nodes' outputs into a new bag.
    pub record: Option<(PathBuf, WriterOptions)>,
}

/// One node after the run.
#[derive(Debug)]
pub struct NodeSummary {
    pub name: String,
    pub report: NodeReport,
    /// Per output topic: messages published.
    pub published: BTreeMap<String, u64>,
    /// Per input topic: messages the node's keep-last queues dropped unread.
    pub dropped: BTreeMap<String, u64>,
}

/// What `edgefusion run` prints at the end.
#[derive(Debug)]
pub struct RunSummary {
    pub nodes: Vec<NodeSummary>,
    pub played: PlayReport,
    pub recorded: Option<RecordReport>,
}

/// Plays the bag through the nodes (and into the recording), until the bag ends or `stop` is
/// set. Topics the nodes publish are not played from the bag (a bag recorded by `run` holds
/// the nodes' earlier outputs).
pub fn run(nodes: Vec<StackNode>, options: &RunOptions, stop: &AtomicBool) -> Result<RunSummary> {
    let reader = BagReader::open(&options.bag)
        .with_context(|| format!("opening bag {}", options.bag.display()))?;
    let bus = Bus::new();
    let outputs: Vec<String> = nodes
        .iter()
        .flat_map(|node| node.core.interface().outputs.into_iter().map(|p| (node.topic)(&p.topic)))
        .collect();
    let names: Vec<String> = nodes.iter().map(|node| node.name.clone()).collect();
    let running = nodes
        .into_iter()
        .map(|node| RunningNode::start(&bus, node.core, &node.name, &*node.topic))
        .collect::<Result<Vec<_>, _>>()?;
    let recorder = match &options.record {
        Some((path, writer_options)) => {
            let mut topics: Vec<String> = reader.topics().iter().map(|t| t.name.clone()).collect();
            for output in outputs.iter().chain([&crate::topics::DIAGNOSTICS.to_string()]) {
                if !topics.contains(output) {
                    topics.push(output.clone());
                }
            }
            let writer = BagWriter::create(path, writer_options.clone())
                .with_context(|| format!("creating bag {}", path.display()))?;
            Some(Recorder::start(&bus, &topics, writer)?)
        }
        None => None,
    };
    let inputs: Vec<String> =
        reader.topics().iter().map(|t| t.name.clone()).filter(|t| !outputs.contains(t)).collect();
    let play_options =
        PlayOptions { rate: options.rate, topics: Some(inputs), ..Default::default() };
    let played = replay::play(&reader, &bus, &play_options, stop);
    // The nodes finish the queued messages before the recorder closes the bag.
    let finished: Result<Vec<Finished>, _> = running.into_iter().map(RunningNode::finish).collect();
    let recorded = recorder.map(Recorder::finish).transpose();
    let (played, finished, recorded) = (played?, finished?, recorded?);
    let nodes = finished
        .into_iter()
        .zip(names)
        .map(|(f, name)| NodeSummary {
            name,
            report: f.core.report(),
            published: f.published,
            dropped: f.dropped.into_iter().filter(|(_, n)| *n > 0).collect(),
        })
        .collect();
    Ok(RunSummary { nodes, played, recorded })
}

impl RunSummary {
    pub fn render(&self) -> String {
        let mut out = String::new();
        for node in &self.nodes {
            let name = &node.name;
            let counters: Vec<String> =
                node.report.counters.iter().map(|(c, n)| format!("{c}={n}")).collect();
            out += &format!("{name}: {}\n", counters.join(" "));
            for (stage, l) in &node.report.latency {
                out += &format!(
                    "{name}: latency {stage:<10} p50 {:>8.2} ms  p99 {:>8.2} ms\n",
                    l.p50_ms, l.p99_ms
                );
            }
            if node.report.problems.is_empty() {
                out += &format!("{name}: errors: none\n");
            }
            for (reason, n) in &node.report.problems {
                out += &format!("{name}: errors: {n:>6} {reason}\n");
            }
            for (topic, n) in &node.published {
                out += &format!("{name}: published {n:>6} on {topic}\n");
            }
            for (topic, n) in &node.dropped {
                out += &format!(
                    "{name}: dropped {n:>6} on {topic} (node busy, keep-last queue full)\n"
                );
            }
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
    use edgefusion_bag::ReadOptions;
    use edgefusion_fusion::{FusionNode, FusionParams};
    use edgefusion_msgs::builtin_interfaces::Time;
    use edgefusion_msgs::diagnostic_msgs::DiagnosticArray;
    use edgefusion_msgs::edgefusion::DetectedObjectArray;
    use edgefusion_msgs::Message;
    use std::sync::atomic::AtomicBool;

    #[test]
    fn every_cloud_yields_one_output_on_the_bag_timeline_none_lost_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let bag = dir.path().join("clouds");
        let mut writer = BagWriter::create(&bag, WriterOptions::default()).unwrap();
        let topic = crate::topics::LIDAR_POINTS;
        writer.add_topic(crate::topics::bag_topic(topic, "sensor_msgs/msg/PointCloud2")).unwrap();
        let stamps = [1_000_000_000i64, 1_100_000_000, 1_200_000_000];
        for ns in stamps {
            let cloud = edgefusion_kitti::convert::point_cloud(Vec::new(), Time::from_nanos(ns));
            writer.write(topic, ns, ns, &cloud.encode().unwrap()).unwrap();
        }
        writer.finish().unwrap();
        // Without a model the node publishes empty arrays: the runtime's plumbing is what is
        // tested here (tests/eval.rs runs it with the real model).
        let node = FusionNode::with_model(FusionParams::default(), None);
        let recording = dir.path().join("out");
        let options = RunOptions {
            bag: bag.clone(),
            rate: None,
            record: Some((recording.clone(), WriterOptions::default())),
        };
        let nodes = vec![StackNode::plain(Box::new(node))];
        let summary = run(nodes, &options, &AtomicBool::new(false)).unwrap();
        let fusion = &summary.nodes[0];
        assert_eq!(fusion.report.counters["clouds_received"], 3);
        let problems = [("camera_missing".to_string(), 3), ("no_model".to_string(), 3)];
        assert_eq!(fusion.report.problems, problems.into());
        assert_eq!(fusion.published[crate::topics::PERCEPTION_OBJECTS], 3);
        let reader = BagReader::open(&recording).unwrap();
        let read = ReadOptions {
            topics: Some(vec![crate::topics::PERCEPTION_OBJECTS.into()]),
            ..Default::default()
        };
        let times: Vec<(i64, i64)> = reader
            .messages(read)
            .map(|m| {
                let m = m.unwrap();
                (
                    m.log_time_ns,
                    DetectedObjectArray::decode(&m.data).unwrap().header.stamp.as_nanos(),
                )
            })
            .collect();
        // Header: each cloud's stamp. Log time: the input that let the frame go, since a cloud
        // with no image waits sync.camera_wait_ms (100 ms) of sensor time: the next cloud, and
        // for the last one the end of the bag.
        let released_at = [stamps[1], stamps[2], stamps[2]];
        assert_eq!(times, [0, 1, 2].map(|i| (released_at[i], stamps[i])));
        // The node's last status on /diagnostics has its counters.
        let read = ReadOptions {
            topics: Some(vec![crate::topics::DIAGNOSTICS.into()]),
            ..Default::default()
        };
        let last = reader.messages(read).last().unwrap().unwrap();
        let status = &DiagnosticArray::decode(&last.data).unwrap().status[0];
        assert_eq!(status.name, "fusion");
        assert!(
            status.values.iter().any(|v| v.key == "clouds_received" && v.value == "3"),
            "{status:?}"
        );
    }
}
