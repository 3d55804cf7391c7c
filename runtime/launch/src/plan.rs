//! What a launch file asks for: the nodes to run, each fully resolved (no substitutions left).

use crate::names::{NameError, NodeNames, RemapRule};
use serde::Serialize;
use std::path::PathBuf;

/// Every node a launch file (with its includes) starts, in document order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LaunchPlan {
    pub nodes: Vec<NodeLaunch>,
}

/// One `<node>`: what `ros2 launch` would turn into
/// `ros2 run PACKAGE EXECUTABLE ARGS --ros-args ROS_ARGS -r __node:=NAME -r __ns:=NAMESPACE
/// (--params-file F | -p N:=V)... (-r FROM:=TO)...`, with ROS_ARGS folded into the fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeLaunch {
    pub package: String,
    pub executable: String,
    /// `name=`; None: the executable's own default name.
    pub name: Option<String>,
    /// Absolute: `namespace=` combined with the pushed namespaces (`/` when none).
    pub namespace: String,
    /// In launch_ros' command-line order (a later value of the same parameter wins; note that
    /// rclcpp applies a file's `/**` section before its section for the node's full name):
    /// `-p`/`--params-file` of `ros_args=`, then `<set_parameter>`s in scope, then the node's
    /// `<param>`s in document order (launch_ros puts them on the command line in that order).
    pub parameters: Vec<NodeParameter>,
    /// In the order rcl tries them (the first match wins): `-r` of `ros_args=`, then
    /// `<set_remap>`s in scope, then the node's `<remap>`s in document order. `from` may carry
    /// rcl's `node:` prefix; `__node`/`__ns` rename the node (see [`NodeLaunch::node_names`]).
    pub remappings: Vec<Remapping>,
    /// `args=`, split at whitespace: the executable's own arguments.
    pub args: Vec<String>,
    /// `ros_args=`' `--log-level` values (its `-r`/`-p`/`--params-file` are in `remappings`
    /// and `parameters`; other ROS arguments are refused).
    pub log_levels: Vec<String>,
    /// `output=`: `screen`, `log`, `both` or `own_log`; None when not given.
    pub output: Option<String>,
    /// Where the `<node>` element is.
    pub source: SourceLocation,
}

impl NodeLaunch {
    /// The remappings as rule objects, for `names::NodeNames`.
    pub fn remap_rules(&self) -> Result<Vec<RemapRule>, NameError> {
        self.remappings.iter().map(|r| RemapRule::parse(&format!("{}:={}", r.from, r.to))).collect()
    }

    /// Final node name and namespace after the remappings (`__node`/`__ns` rules included),
    /// given the name the executable would use when the launch file names none.
    pub fn node_names(&self, default_name: &str) -> Result<NodeNames, NameError> {
        NodeNames::new(
            self.name.as_deref().unwrap_or(default_name),
            &self.namespace,
            self.remap_rules()?,
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceLocation {
    pub file: PathBuf,
    pub line: u32,
}

/// One entry of a node's parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NodeParameter {
    /// `<param from="FILE"/>`: a ROS 2 parameters file (checked to exist).
    File { path: PathBuf },
    /// `<param name value/>` (nested `<param>`s give dotted names) or `<set_parameter>`.
    Value { name: String, value: ParamValue },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remapping {
    pub from: String,
    pub to: String,
}

/// Parameter values are the node runtime's own type (one definition for both runtimes).
pub use edgefusion_node::ParamValue;
