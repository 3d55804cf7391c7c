//! What every edgefusion node core is to the runtimes that host it (DESIGN.md, "A node"):
//! [`NodeCore`] with its ports, [`Params`] read from ROS 2 parameter files and overrides, and the
//! stack's topic names with their QoS. The in-process runtime (`edgefusion run`) and the ROS 2
//! runtime (`edgefusion-ros2`) both run nodes through this crate and nothing else.

mod core;
pub mod diagnostics;
pub mod params;
pub mod stats;
pub mod topics;

pub use crate::core::{
    downcast, feed, Interface, NodeCore, NodeReport, Outbox, Port, StageSummary,
};
pub use params::{NodeParams, Origins, ParamReader, ParamValue, Params, ParamsError};
pub use stats::{Counters, Named, StageLatency};
