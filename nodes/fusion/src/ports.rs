//! The fusion node as the runtimes host it ([`NodeCore`]): its topics, and which of its input
//! methods each message goes to. The runtimes hand messages over in arrival order (the
//! in-process one in publishing order); the node pairs and orders them itself (crate::sync,
//! crate::scene), holding a frame back while a sensor may still deliver.

use crate::node::{FusionNode, Output};
use crate::stats::Counter;
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::edgefusion::{DetectedObjectArray, Scene, V2xObjectArray};
use edgefusion_msgs::nav_msgs::{OccupancyGrid, Odometry};
use edgefusion_msgs::registry::AnyMessage;
use edgefusion_msgs::sensor_msgs::{CameraInfo, Image, PointCloud2};
use edgefusion_msgs::tf2_msgs::TFMessage;
use edgefusion_node::topics;
use edgefusion_node::{downcast, Interface, NodeCore, NodeReport, Outbox, Port};
use std::time::Duration;

const TF_STATIC: usize = 0;
const CAMERA_INFO: usize = 1;
const IMAGE: usize = 2;
const CLOUD: usize = 3;
const V2X_OBJECTS: usize = 4;
const OCCUPANCY_GRID: usize = 5;
const LIDAR_OBJECTS: usize = 6;
const ODOMETRY: usize = 7;
const OBJECTS: usize = 0;
const TRACKED_OBJECTS: usize = 1;
const SCENE: usize = 2;

/// How often waits for a missing sensor are checked in node time (crate::sync, crate::scene).
const TICK: Duration = Duration::from_millis(20);

/// Counters that count work, not problems.
const NOT_PROBLEMS: [Counter; 9] = [
    Counter::CloudsReceived,
    Counter::ImagesReceived,
    Counter::CameraInfosReceived,
    Counter::TfStaticReceived,
    Counter::OdometryReceived,
    Counter::Outputs,
    Counter::ObjectsPublished,
    Counter::ScenesPublished,
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
                Port::of::<CameraInfo>(topics::CAMERA_INFO_RECT),
                Port::of::<Image>(topics::CAMERA_IMAGE_RECT),
                Port::of::<PointCloud2>(topics::LIDAR_POINTS),
                Port::of::<V2xObjectArray>(topics::V2X_OBJECTS),
                Port::of::<OccupancyGrid>(topics::OCCUPANCY_GRID),
                Port::of::<DetectedObjectArray>(topics::LIDAR_OBJECTS),
                Port::of::<Odometry>(topics::ODOMETRY),
            ],
            outputs: vec![
                Port::of::<DetectedObjectArray>(topics::PERCEPTION_OBJECTS),
                Port::of::<DetectedObjectArray>(topics::TRACKED_OBJECTS),
                Port::of::<Scene>(topics::SCENE),
            ],
        }
    }

    // Errors of the input methods are counted (by reason) and logged by the node itself.
    fn on_message(&mut self, input: usize, message: &AnyMessage, now: Time, out: &mut Outbox) {
        let outputs = match input {
            TF_STATIC => downcast::<TFMessage>(message).map(|m| {
                let _ = self.on_tf_static(&m);
                Vec::new()
            }),
            CAMERA_INFO => downcast::<CameraInfo>(message)
                .map(|m| self.on_camera_info(&m, now).unwrap_or_default()),
            IMAGE => downcast::<Image>(message).map(|m| self.on_image(m, now).unwrap_or_default()),
            CLOUD => downcast::<PointCloud2>(message)
                .map(|cloud| self.on_cloud(cloud, now).unwrap_or_default()),
            V2X_OBJECTS => downcast::<V2xObjectArray>(message).map(|m| {
                self.on_v2x_objects(&m);
                Vec::new()
            }),
            OCCUPANCY_GRID => downcast::<OccupancyGrid>(message).map(|m| self.on_occupancy_grid(m)),
            LIDAR_OBJECTS => {
                downcast::<DetectedObjectArray>(message).map(|m| self.on_lidar_objects(m))
            }
            ODOMETRY => downcast::<Odometry>(message).map(|m| {
                self.on_odometry(&m);
                Vec::new()
            }),
            _ => None,
        };
        match outputs {
            Some(outputs) => publish(outputs, out),
            None => self.count_unexpected_input(input),
        }
    }

    fn tick_period(&self) -> Option<Duration> {
        Some(TICK)
    }

    fn on_tick(&mut self, now: Time, out: &mut Outbox) {
        publish(FusionNode::on_tick(self, now), out);
    }

    fn on_end(&mut self, now: Time, out: &mut Outbox) {
        publish(FusionNode::on_end(self, now), out);
    }

    fn report(&self) -> NodeReport {
        let is_problem = |c: Counter| !NOT_PROBLEMS.contains(&c);
        let mut report = edgefusion_node::stats::report(self.stats(), is_problem, self.latency());
        for (name, (n, problem)) in self.tracking().map(|t| t.counters()).unwrap_or_default() {
            if problem {
                report.problems.insert(name.clone(), n);
            }
            report.counters.insert(name, n);
        }
        report
    }
}

fn publish(outputs: Vec<Output>, out: &mut Outbox) {
    for output in outputs {
        match output {
            Output::Objects(objects) => out.publish(OBJECTS, objects),
            Output::Tracked(tracked) => out.publish(TRACKED_OBJECTS, tracked),
            Output::Scene(scene) => out.publish(SCENE, *scene),
        }
    }
}
