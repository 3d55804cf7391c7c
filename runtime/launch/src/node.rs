//! `<node>`: one NodeLaunch, with its name, namespace, parameters and remaps resolved.

use crate::attrs::{prefix_namespace, Scope};
use crate::errors::ErrorReason;
use crate::names;
use crate::parser::Reader;
use crate::plan::{NodeLaunch, NodeParameter, SourceLocation};
use crate::source::{Element, LaunchFile};
use crate::{params, ros_args, LaunchError};
use std::path::PathBuf;

const OUTPUTS: [&str; 4] = ["screen", "log", "both", "own_log"];

impl Reader<'_> {
    pub(crate) fn node(
        &self,
        file: &LaunchFile<'_, '_>,
        el: Element<'_, '_>,
        scope: &Scope,
    ) -> Result<NodeLaunch, LaunchError> {
        let invalid = |what: String| file.error(el.node, ErrorReason::InvalidName, what);
        let package = self.required(file, el, "pkg", scope)?;
        let executable = self.required(file, el, "exec", scope)?;
        let name = self.optional(file, el, "name", scope)?;
        if let Some(name) = &name {
            names::validate_node_name(name).map_err(|e| invalid(format!("node name: {e}")))?;
        }
        let own_namespace = self.optional(file, el, "namespace", scope)?;
        let namespace = prefix_namespace(scope.ros_namespace.as_deref(), own_namespace.as_deref())
            .unwrap_or_else(|| "/".to_string());
        names::validate_namespace(&namespace)
            .map_err(|e| invalid(format!("node namespace: {e}")))?;
        let output = self.optional(file, el, "output", scope)?;
        if let Some(output) = &output {
            if !OUTPUTS.contains(&output.as_str()) {
                return Err(file.error(
                    el.node,
                    ErrorReason::BadValue,
                    format!("output='{output}' is not one of {}", OUTPUTS.join(", ")),
                ));
            }
        }
        let split = |v: Option<String>| -> Vec<String> {
            v.map(|v| v.split_whitespace().map(str::to_string).collect()).unwrap_or_default()
        };
        let args = split(self.optional(file, el, "args", scope)?);
        let ros_args = ros_args::parse(&split(self.optional(file, el, "ros_args", scope)?))
            .map_err(|p| file.problem(el, p))?;

        // launch_ros' command line: ros_args, then global params/remaps, then the node's own.
        let mut parameters = ros_args.parameters;
        parameters.extend(scope.global_params.iter().cloned());
        let mut remappings = ros_args.remappings;
        remappings.extend(scope.remaps.iter().cloned());
        for child in el.children() {
            match child.tag() {
                "param" => self.params(file, child, scope, "", &mut parameters)?,
                _ => remappings.push(self.remapping(file, child, scope)?),
            }
        }
        Ok(NodeLaunch {
            package,
            executable,
            name,
            namespace,
            parameters,
            remappings,
            args,
            log_levels: ros_args.log_levels,
            output,
            source: SourceLocation { file: file.path.to_path_buf(), line: el.line() },
        })
    }

    /// `<param>`: `from=FILE`, or `name` with `value`, or `name` with nested `<param>`s (their
    /// names joined with '.', as launch_ros nests them into one dictionary).
    fn params(
        &self,
        file: &LaunchFile<'_, '_>,
        el: Element<'_, '_>,
        scope: &Scope,
        prefix: &str,
        out: &mut Vec<NodeParameter>,
    ) -> Result<(), LaunchError> {
        let bad = |msg: &str| file.error(el.node, ErrorReason::BadValue, msg.to_string());
        let nested: Vec<Element<'_, '_>> = el.children().collect();
        if let Some(from) = self.optional(file, el, "from", scope)? {
            if el.attr("name").is_some() || el.attr("value").is_some() || !nested.is_empty() {
                return Err(bad("<param from=...> takes no name, value or nested <param>"));
            }
            let path = PathBuf::from(&from);
            if !path.is_file() {
                return Err(file.error(
                    el.node,
                    ErrorReason::MissingFile,
                    format!("parameters file {} does not exist", path.display()),
                ));
            }
            out.push(NodeParameter::File { path });
            return Ok(());
        }
        let name = format!("{prefix}{}", self.required(file, el, "name", scope)?);
        match (self.optional(file, el, "value", scope)?, nested.is_empty()) {
            (Some(text), true) => {
                let value = params::typed_value(&name, &text).map_err(|p| file.problem(el, p))?;
                out.push(NodeParameter::Value { name, value });
            }
            (Some(_), false) => return Err(bad("<param> has both a value and nested <param>s")),
            (None, true) => {
                return Err(file.error(
                    el.node,
                    ErrorReason::MissingAttribute,
                    format!("<param name='{name}'> needs a value, nested <param>s or from="),
                ))
            }
            (None, false) => {
                for child in nested {
                    self.params(file, child, scope, &format!("{name}."), out)?;
                }
            }
        }
        Ok(())
    }
}
