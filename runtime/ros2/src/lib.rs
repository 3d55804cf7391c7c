//! The ROS 2 transport: runs edgefusion node cores as ROS 2 nodes through r2r (rcl, Fast DDS),
//! with the stack's QoS; the node cores are the same ones the in-process runtime runs.
//!
//! Building needs a ROS 2 environment: `. target/ros2/env.sh` (written by
//! `scripts/ros2-setup`) before `cargo build --features ros2`.

mod node;
pub mod qos;

pub use node::{check_ros_args, run_node, RosNodeSummary};
/// r2r, for the bag player and recorder of the command line.
pub use r2r;
