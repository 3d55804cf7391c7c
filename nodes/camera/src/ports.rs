//! The camera node as the runtimes host it ([`NodeCore`]): its topics, and which input method
//! each message goes to. Each accepted image publishes the rectified image, then its CameraInfo.

use crate::node::CameraNode;
use crate::stats::Counter;
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::registry::AnyMessage;
use edgefusion_msgs::sensor_msgs::{CameraInfo, CompressedImage, Image};
use edgefusion_node::topics;
use edgefusion_node::{downcast, Interface, NodeCore, NodeReport, Outbox, Port};

/// Input ports.
pub const CAMERA_INFO: usize = 0;
pub const IMAGE: usize = 1;
pub const COMPRESSED: usize = 2;
/// Output ports.
pub const IMAGE_RECT: usize = 0;
pub const CAMERA_INFO_RECT: usize = 1;

impl NodeCore for CameraNode {
    fn name(&self) -> &str {
        CameraNode::NAME
    }

    fn interface(&self) -> Interface {
        Interface {
            inputs: vec![
                Port::of::<CameraInfo>(topics::CAMERA_INFO),
                Port::of::<Image>(topics::CAMERA_IMAGE),
                Port::of::<CompressedImage>(topics::CAMERA_IMAGE_COMPRESSED),
            ],
            outputs: vec![
                Port::of::<Image>(topics::CAMERA_IMAGE_RECT),
                Port::of::<CameraInfo>(topics::CAMERA_INFO_RECT),
            ],
        }
    }

    // Errors of the input methods are counted (by reason) and logged by the node itself.
    fn on_message(&mut self, input: usize, message: &AnyMessage, _now: Time, out: &mut Outbox) {
        let output = match input {
            CAMERA_INFO => downcast::<CameraInfo>(message).map(|m| {
                let _ = self.on_camera_info(&m);
                None
            }),
            IMAGE => downcast::<Image>(message).map(|m| self.on_image(&m).ok()),
            COMPRESSED => downcast::<CompressedImage>(message).map(|m| self.on_compressed(&m).ok()),
            _ => None,
        };
        match output {
            None => self.count_unexpected_input(input),
            Some(None) => {}
            Some(Some(output)) => {
                // Shared, not copied: an rgb8 input with nothing to remap goes out as it came.
                out.publish_shared(IMAGE_RECT, output.image);
                out.publish(CAMERA_INFO_RECT, output.info);
            }
        }
    }

    fn report(&self) -> NodeReport {
        edgefusion_node::stats::report(self.stats(), Counter::is_problem, self.latency())
    }
}
