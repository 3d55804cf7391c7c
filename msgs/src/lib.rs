//! ROS 2 messages of the edgefusion stack as plain Rust types, and their CDR encoding.
//!
//! One module per ROS package (`sensor_msgs::Image`, ...); our own package `edgefusion_msgs`
//! is the module [`edgefusion`]. Field names and order follow the `.msg` files in `msg/` and
//! `interfaces/`, which are also the schemas written into bags ([`definitions`]).

pub mod cdr;
pub mod definitions;
mod message;
pub mod registry;
pub mod type_hash;

pub mod builtin_interfaces;
pub mod diagnostic_msgs;
pub mod edgefusion;
pub mod geometry_msgs;
pub mod nav_msgs;
pub mod rosgraph_msgs;
pub mod sensor_msgs;
pub mod std_msgs;
pub mod tf2_msgs;
pub mod visualization_msgs;

pub use cdr::CdrError;
pub use message::Message;
