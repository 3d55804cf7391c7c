//! The lidar node as the runtimes host it ([`NodeCore`]): its topics, and which of its input
//! methods each message goes to. Each accepted cloud publishes the cleaned cloud, then the grid,
//! then the objects (when `cluster.enabled`).

use crate::node::LidarNode;
use crate::stats::Counter;
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::edgefusion::DetectedObjectArray;
use edgefusion_msgs::nav_msgs::OccupancyGrid;
use edgefusion_msgs::registry::AnyMessage;
use edgefusion_msgs::sensor_msgs::PointCloud2;
use edgefusion_msgs::tf2_msgs::TFMessage;
use edgefusion_node::topics;
use edgefusion_node::{downcast, Interface, NodeCore, NodeReport, Outbox, Port};

/// Input ports.
pub const TF_STATIC: usize = 0;
pub const CLOUD: usize = 1;
/// Output ports.
pub const NO_GROUND: usize = 0;
pub const GRID: usize = 1;
pub const OBJECTS: usize = 2;

impl NodeCore for LidarNode {
    fn name(&self) -> &str {
        LidarNode::NAME
    }

    fn interface(&self) -> Interface {
        Interface {
            inputs: vec![
                Port::of::<TFMessage>(topics::TF_STATIC),
                Port::of::<PointCloud2>(topics::LIDAR_POINTS),
            ],
            outputs: vec![
                Port::of::<PointCloud2>(topics::LIDAR_NO_GROUND),
                Port::of::<OccupancyGrid>(topics::OCCUPANCY_GRID),
                Port::of::<DetectedObjectArray>(topics::LIDAR_OBJECTS),
            ],
        }
    }

    // Errors of the input methods are counted (by reason) and logged by the node itself.
    fn on_message(&mut self, input: usize, message: &AnyMessage, _now: Time, out: &mut Outbox) {
        let delivered = match input {
            TF_STATIC => downcast::<TFMessage>(message).map(|m| {
                let _ = self.on_tf_static(&m);
            }),
            CLOUD => downcast::<PointCloud2>(message).map(|cloud| {
                if let Ok(output) = self.on_cloud(&cloud) {
                    out.publish(NO_GROUND, output.cloud);
                    out.publish(GRID, output.grid);
                    if let Some(objects) = output.objects {
                        out.publish(OBJECTS, objects);
                    }
                }
            }),
            _ => None,
        };
        if delivered.is_none() {
            self.count_unexpected_input(input);
        }
    }

    fn report(&self) -> NodeReport {
        edgefusion_node::stats::report(self.stats(), Counter::is_problem, self.latency())
    }
}
