//! `edgefusion run --launch FILE.launch.xml`: the nodes a ROS 2 launch file starts, built for the
//! in-process runtime with the same names, namespaces, parameters and remaps `ros2 launch` would
//! give them. One launch file, two runtimes.

use crate::nodes;
use anyhow::{bail, Context, Result};
use edgefusion_launch::names::NodeNames;
use edgefusion_launch::{read_launch_file, LaunchOptions, NodeLaunch, NodeParameter};
use edgefusion_node::{NodeCore, Params};
use std::path::Path;

/// A node of the launch file, built, with the names its topics resolve to.
pub struct LaunchedNode {
    pub core: Box<dyn NodeCore>,
    pub names: NodeNames,
}

impl LaunchedNode {
    /// The bus topic of one of the node's ports (its namespace and remaps applied, as rcl does).
    pub fn topic(&self, port_topic: &str) -> String {
        self.names.resolve_topic(port_topic).unwrap_or_else(|_| port_topic.to_string())
    }
}

/// Reads `file` with launch arguments `args` (`NAME:=VALUE`) and builds every node it launches.
pub fn nodes_from_launch_file(file: &Path, args: &[String]) -> Result<Vec<LaunchedNode>> {
    let args = edgefusion_launch::parse_launch_args(args).map_err(anyhow::Error::msg)?;
    let options = LaunchOptions { args, ..Default::default() };
    let plan = read_launch_file(file, &options)?;
    if plan.nodes.is_empty() {
        bail!("{}: launches no node", file.display());
    }
    plan.nodes.iter().map(build).collect()
}

fn build(launch: &NodeLaunch) -> Result<LaunchedNode> {
    let at = format!("{}:{}", launch.source.file.display(), launch.source.line);
    if launch.package != "edgefusion" {
        bail!("{at}: <node pkg=\"{}\">: only package edgefusion runs in process", launch.package);
    }
    let Some(kind) = nodes::find(&launch.executable) else {
        let known: Vec<&str> = nodes::NODES.iter().map(|k| k.executable).collect();
        bail!(
            "{at}: <node exec=\"{}\">: no such node in this build (nodes: {})",
            launch.executable,
            known.join(", ")
        );
    };
    let names = launch.node_names(kind.name).with_context(|| format!("{at}: node names"))?;
    let fqn = names.fully_qualified_name();
    let mut params = Params::new();
    for parameter in &launch.parameters {
        match parameter {
            NodeParameter::File { path } => params.load_file(path, &fqn)?,
            NodeParameter::Value { name, value } => params.set(name, value.clone(), &at),
        }
    }
    let core = (kind.build)(&params, names.name()).with_context(|| format!("{at}: node {fqn}"))?;
    Ok(LaunchedNode { core, names })
}
