//! Reader for ROS 2 XML launch files (the launch/launch_ros XML frontend), for the embedded
//! runner (`edgefusion run --launch FILE.launch.xml`): the same file `ros2 launch` reads gives
//! the same nodes, names, parameters and remaps, run in one process. Also the ROS 2 name rules
//! ([`names`]) both runtimes use to resolve a node's topic names.
//!
//! Supported: `<launch>`, `<arg>` (with `<choice>`), `<let>`, `<node>` with `<param>`
//! (value, nested, `from=`) and `<remap>`, `<include>` with `<arg>`, `<group scoped>`,
//! `<push-ros-namespace>`, `<set_remap>`, `<set_parameter>`, `if`/`unless` on every action;
//! substitutions `$(var)`, `$(env)`, `$(optenv)`, `$(find-pkg-share)`, `$(dirname)`,
//! `$(filename)`. Anything else is an error naming the element and its file:line.
//!
//! ```no_run
//! use edgefusion_launch::{read_launch_file, LaunchOptions};
//! let options = LaunchOptions { args: vec![("use_sim_time".into(), "true".into())], ..Default::default() };
//! let plan = read_launch_file("launch/vehicle.launch.xml".as_ref(), &options)?;
//! for node in &plan.nodes {
//!     println!("{} {} as {:?} in {}", node.package, node.executable, node.name, node.namespace);
//! }
//! # Ok::<(), edgefusion_launch::LaunchError>(())
//! ```

mod attrs;
mod errors;
pub mod names;
mod node;
mod params;
mod parser;
mod plan;
mod resolver;
mod ros_args;
mod schema;
mod source;
mod substitutions;

pub use errors::{ErrorReason, LaunchError};
pub use plan::{LaunchPlan, NodeLaunch, NodeParameter, ParamValue, Remapping, SourceLocation};
pub use resolver::{source_checkout, AmentResolver, PackageResolver, SOURCE_PACKAGE};
pub use ros_args::{parse_ros_args, RosArgs};

use std::collections::HashMap;
use std::path::Path;

/// How to read a launch file.
pub struct LaunchOptions {
    /// Launch arguments given by the caller (`name:=value` on the command line); they win
    /// over `<arg default>`.
    pub args: Vec<(String, String)>,
    /// Environment for `$(env)`/`$(optenv)`; None: the process environment.
    pub env: Option<HashMap<String, String>>,
    /// `$(find-pkg-share)`; the default is [`AmentResolver::from_env`].
    pub resolver: Box<dyn PackageResolver + Send + Sync>,
}

impl Default for LaunchOptions {
    fn default() -> Self {
        Self { args: Vec::new(), env: None, resolver: Box::new(AmentResolver::from_env()) }
    }
}

/// Reads `path` (and what it includes) into the nodes it launches.
pub fn read_launch_file(path: &Path, options: &LaunchOptions) -> Result<LaunchPlan, LaunchError> {
    let mut scope = attrs::Scope::default();
    scope.configs.extend(options.args.iter().cloned());
    let mut reader = parser::Reader::new(options);
    match reader.read_file(path, &mut scope, None) {
        Ok(()) => {
            tracing::debug!(file = %path.display(), nodes = reader.plan.nodes.len(), "launch file read");
            Ok(reader.plan)
        }
        Err(e) => {
            tracing::error!(reason = e.reason.as_str(), "launch file refused: {e}");
            Err(e)
        }
    }
}

/// Splits command-line launch arguments `name:=value` (as `ros2 launch` takes them).
pub fn parse_launch_args<S: AsRef<str>>(args: &[S]) -> Result<Vec<(String, String)>, String> {
    args.iter()
        .map(|a| {
            let a = a.as_ref();
            match a.split_once(":=") {
                Some((name, value)) if !name.is_empty() => {
                    Ok((name.to_string(), value.to_string()))
                }
                _ => Err(format!("launch argument '{a}' is not NAME:=VALUE")),
            }
        })
        .collect()
}
