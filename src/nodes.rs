//! The nodes this build of edgefusion can run, by name: the one table both runtimes (the
//! embedded `run`, ROS 2 executables) and launch files resolve a node from.

use anyhow::Result;
use edgefusion_camera::{CameraNode, CameraParams};
use edgefusion_fusion::{FusionNode, FusionParams};
use edgefusion_lidar::{LidarNode, LidarParams};
use edgefusion_node::{NodeCore, NodeParams, Params};
use edgefusion_v2x::{V2xNodeCore, V2xParams};

/// A node the stack can run.
pub struct NodeKind {
    /// Its default node name and the name of its parameter section.
    pub name: &'static str,
    /// Its executable in the ROS 2 package `edgefusion` (`ros2 run edgefusion EXECUTABLE`).
    pub executable: &'static str,
    /// Builds the core from its parameters (`node` is the node's actual name, for logs).
    pub build: fn(params: &Params, node: &str) -> Result<Box<dyn NodeCore>>,
}

pub const NODES: &[NodeKind] = &[
    NodeKind {
        name: CameraNode::NAME,
        executable: "edgefusion_camera",
        build: |params, node| {
            Ok(Box::new(CameraNode::new(CameraParams::from_params(params, node)?)?))
        },
    },
    NodeKind {
        name: LidarNode::NAME,
        executable: "edgefusion_lidar",
        build: |params, node| {
            Ok(Box::new(LidarNode::new(LidarParams::from_params(params, node)?)?))
        },
    },
    NodeKind {
        name: "v2x",
        executable: "edgefusion_v2x",
        build: |params, node| {
            Ok(Box::new(V2xNodeCore::new(V2xParams::from_params(params, node)?)?))
        },
    },
    NodeKind {
        name: FusionNode::NAME,
        executable: "edgefusion_fusion",
        build: |params, node| {
            let params = FusionParams::from_params(params, node)?;
            Ok(Box::new(FusionNode::new(params)?))
        },
    },
];

/// The node kind named `name` (`fusion`) or run as `executable` (`edgefusion_fusion`).
pub fn find(name_or_executable: &str) -> Option<&'static NodeKind> {
    NODES.iter().find(|k| k.name == name_or_executable || k.executable == name_or_executable)
}

/// The names of all nodes, for error messages.
pub fn names() -> String {
    NODES.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
}
