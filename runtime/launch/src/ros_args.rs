//! ROS arguments (what follows `--ros-args`, or a `<node ros_args="...">`) as rcl reads them,
//! for the embedded runner, which has no rcl to hand them to.
//!
//! Read: `-r`/`--remap [node:]FROM:=TO`, `-p`/`--param NAME:=VALUE`, `--params-file FILE`,
//! `--log-level [LOGGER:=]LEVEL`. Anything else is refused with its name, rather than
//! silently ignored. Values of `-p` are typed as launch_ros types `<param value>` (YAML).

use crate::errors::{ErrorReason, Problem};
use crate::names::RemapRule;
use crate::params::typed_value;
use crate::plan::{NodeParameter, Remapping};
use std::path::PathBuf;

/// The ROS arguments of one node, in the order given (rcl keeps that order: the first
/// matching remap wins, a later parameter value wins).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RosArgs {
    pub remappings: Vec<Remapping>,
    pub parameters: Vec<NodeParameter>,
    /// `--log-level` values as given (`debug`, or `LOGGER:=LEVEL`).
    pub log_levels: Vec<String>,
}

/// Reads ROS arguments; a leading `--ros-args` and a trailing `--` are allowed.
pub fn parse_ros_args<S: AsRef<str>>(args: &[S]) -> Result<RosArgs, String> {
    parse(args).map_err(|p| p.message)
}

pub(crate) fn parse<S: AsRef<str>>(args: &[S]) -> Result<RosArgs, Problem> {
    let mut out = RosArgs::default();
    let mut tokens = args.iter().map(AsRef::as_ref).peekable();
    if tokens.peek() == Some(&"--ros-args") {
        tokens.next();
    }
    while let Some(flag) = tokens.next() {
        let mut value = || {
            tokens.next().ok_or_else(|| {
                Problem::new(ErrorReason::BadValue, format!("ROS argument {flag} needs a value"))
            })
        };
        match flag {
            "-r" | "--remap" => {
                let rule = value()?;
                RemapRule::parse(rule).map_err(|e| {
                    Problem::new(ErrorReason::InvalidName, format!("ROS argument -r {rule}: {e}"))
                })?;
                let (from, to) = rule.split_once(":=").unwrap_or((rule, ""));
                out.remappings.push(Remapping { from: from.to_string(), to: to.to_string() });
            }
            "-p" | "--param" => {
                let rule = value()?;
                let Some((name, text)) = rule.split_once(":=").filter(|(n, _)| !n.is_empty())
                else {
                    return Err(Problem::new(
                        ErrorReason::BadValue,
                        format!("ROS argument -p {rule} is not NAME:=VALUE"),
                    ));
                };
                let value = typed_value(name, text)?;
                out.parameters.push(NodeParameter::Value { name: name.to_string(), value });
            }
            "--params-file" => {
                let path = PathBuf::from(value()?);
                if !path.is_file() {
                    return Err(Problem::new(
                        ErrorReason::MissingFile,
                        format!("parameters file {} does not exist", path.display()),
                    ));
                }
                out.parameters.push(NodeParameter::File { path });
            }
            "--log-level" => out.log_levels.push(value()?.to_string()),
            "--" => break,
            other => {
                return Err(Problem::new(
                    ErrorReason::BadValue,
                    format!(
                        "ROS argument {other} is not supported by the embedded runner \
                         (supported: -r, -p, --params-file, --log-level)"
                    ),
                ))
            }
        }
    }
    Ok(out)
}
