//! The fusion node as the runtimes host it ([`NodeCore`]): its topics, and which of its input
//! methods each message goes to. The runtimes hand messages over in arrival order (the
//! in-process one in publishing order), so an image published before its cloud is seen first.

use crate::node::FusionNode;
use crate::stats::{Counter, Stage};
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::edgefusion::{DetectedObjectArray, V2xObjectArray};
use edgefusion_msgs::registry::AnyMessage;
use edgefusion_msgs::sensor_msgs::{CameraInfo, Image, PointCloud2};
use edgefusion_msgs::tf2_msgs::TFMessage;
use edgefusion_node::topics;
use edgefusion_node::{downcast, Interface, NodeCore, NodeReport, Outbox, Port, StageSummary};

const TF_STATIC: usize = 0;
const CAMERA_INFO: usize = 1;
const IMAGE: usize = 2;
const CLOUD: usize = 3;
const V2X_OBJECTS: usize = 4;
const OBJECTS: usize = 0;
const TRACKED_OBJECTS: usize = 1;

/// Counters that count work, not problems.
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

impl NodeCore for FusionNode {
    fn name(&self) -> &str {
        FusionNode::NAME
    }

    fn interface(&self) -> Interface {
        Interface {
            inputs: vec![
                Port::of::<TFMessage>(topics::TF_STATIC),
                Port::of::<CameraInfo>(topics::CAMERA_INFO),
                Port::of::<Image>(topics::CAMERA_IMAGE),
                Port::of::<PointCloud2>(topics::LIDAR_POINTS),
                Port::of::<V2xObjectArray>(topics::V2X_OBJECTS),
            ],
            outputs: vec![
                Port::of::<DetectedObjectArray>(topics::PERCEPTION_OBJECTS),
                Port::of::<DetectedObjectArray>(topics::TRACKED_OBJECTS),
            ],
        }
    }

    // Errors of the input methods are counted (by reason) and logged by the node itself.
    fn on_message(&mut self, input: usize, message: &AnyMessage, _now: Time, out: &mut Outbox) {
        let delivered = match input {
            TF_STATIC => downcast::<TFMessage>(message).map(|m| {
                let _ = self.on_tf_static(&m);
            }),
            CAMERA_INFO => downcast::<CameraInfo>(message).map(|m| {
                let _ = self.on_camera_info(&m);
            }),
            IMAGE => downcast::<Image>(message).map(|m| {
                let _ = self.on_image(m);
            }),
            CLOUD => downcast::<PointCloud2>(message).map(|cloud| {
                if let Ok(Some(objects)) = self.on_cloud(&cloud) {
                    if let Some(tracked) = self.track(&objects) {
                        out.publish(TRACKED_OBJECTS, tracked);
                    }
                    out.publish(OBJECTS, objects);
                }
            }),
            V2X_OBJECTS => downcast::<V2xObjectArray>(message).map(|m| self.on_v2x_objects(&m)),
            _ => None,
        };
        if delivered.is_none() {
            self.count_unexpected_input(input);
        }
    }

    fn report(&self) -> NodeReport {
        let stats = self.stats();
        let counters = stats.non_zero().map(|(c, n)| (c.name().to_string(), n));
        let problems = stats.non_zero().filter(|(c, _)| !NOT_PROBLEMS.contains(c));
        let latency = Stage::ALL.iter().filter_map(|&stage| {
            let summary = StageSummary {
                p50_ms: self.latency().quantile_ms(stage, 0.5)?,
                p99_ms: self.latency().quantile_ms(stage, 0.99)?,
                samples: self.latency().histogram(stage).len(),
            };
            Some((stage.name().to_string(), summary))
        });
        let mut report = NodeReport {
            counters: counters.collect(),
            problems: problems.map(|(c, n)| (c.name().to_string(), n)).collect(),
            latency: latency.collect(),
        };
        for (name, (n, problem)) in self.tracking().map(|t| t.counters()).unwrap_or_default() {
            if problem {
                report.problems.insert(name.clone(), n);
            }
            report.counters.insert(name, n);
        }
        report
    }
}
