//! Runs a launch file's actions in order, as `ros2 launch` would, and collects the nodes.
//!
//! Scoping follows launch/launch_ros: launch arguments (`<arg>`, `<let>`, `<include><arg>`),
//! the pushed ROS namespace, `<set_remap>` and `<set_parameter>` are all launch
//! configurations; a `<group>` (scoped by default) restores them when it ends; an `<include>`
//! does NOT scope (what the included file sets stays set after it, as in ROS 2: put the include
//! in a `<group>` to contain it).

use crate::attrs::{parse_bool, prefix_namespace, Scope};
use crate::errors::{ErrorReason, LaunchError};
use crate::names;
use crate::plan::{LaunchPlan, NodeParameter};
use crate::schema;
use crate::source::{Element, LaunchFile};
use crate::{params, LaunchOptions};
use std::path::{Path, PathBuf};

/// Includes nested deeper than this are refused (a cycle through different spellings of a
/// path would otherwise recurse forever).
const MAX_INCLUDE_DEPTH: usize = 32;

pub(crate) struct Reader<'o> {
    pub options: &'o LaunchOptions,
    pub plan: LaunchPlan,
    includes: Vec<PathBuf>,
}

impl<'o> Reader<'o> {
    pub fn new(options: &'o LaunchOptions) -> Self {
        Self { options, plan: LaunchPlan::default(), includes: Vec::new() }
    }

    /// Reads `path` and runs its actions in `scope`. `from`: the including file and element,
    /// where a missing file is reported.
    pub fn read_file(
        &mut self,
        path: &Path,
        scope: &mut Scope,
        from: Option<(&LaunchFile<'_, '_>, Element<'_, '_>)>,
    ) -> Result<(), LaunchError> {
        let fail = |reason, message: String| match from {
            Some((file, el)) => file.error(el.node, reason, message),
            None => LaunchError {
                file: path.to_path_buf(),
                line: 0,
                column: 0,
                element: String::new(),
                reason,
                message,
            },
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(fail(
                    ErrorReason::MissingFile,
                    format!("launch file {} does not exist", path.display()),
                ))
            }
            Err(e) => {
                return Err(fail(
                    ErrorReason::Io,
                    format!("cannot read launch file {}: {e}", path.display()),
                ))
            }
        };
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if self.includes.contains(&canonical) {
            let message = format!("{} includes itself", path.display());
            return Err(fail(ErrorReason::IncludeCycle, message));
        }
        if self.includes.len() >= MAX_INCLUDE_DEPTH {
            let message = format!("includes nested deeper than {MAX_INCLUDE_DEPTH} levels");
            return Err(fail(ErrorReason::IncludeCycle, message));
        }
        let doc = roxmltree::Document::parse(&text).map_err(|e| LaunchError {
            file: path.to_path_buf(),
            line: e.pos().row,
            column: e.pos().col,
            element: String::new(),
            reason: ErrorReason::Xml,
            message: format!("not well-formed XML: {e}"),
        })?;
        let file = LaunchFile { path, doc: &doc };
        let root = Element { node: doc.root_element() };
        schema::check_tree(&file, root, "")?;
        self.includes.push(canonical);
        let result = self.actions(&file, root, scope);
        self.includes.pop();
        result
    }

    fn actions(
        &mut self,
        file: &LaunchFile<'_, '_>,
        parent: Element<'_, '_>,
        scope: &mut Scope,
    ) -> Result<(), LaunchError> {
        for el in parent.children() {
            if self.condition(file, el, scope)? {
                self.action(file, el, scope)?;
            }
        }
        Ok(())
    }

    fn action(
        &mut self,
        file: &LaunchFile<'_, '_>,
        el: Element<'_, '_>,
        scope: &mut Scope,
    ) -> Result<(), LaunchError> {
        match el.tag() {
            "arg" => self.declare_arg(file, el, scope),
            "let" => {
                let name = self.required(file, el, "name", scope)?;
                let value = self.required(file, el, "value", scope)?;
                scope.configs.insert(name, value);
                Ok(())
            }
            "node" => {
                let node = self.node(file, el, scope)?;
                self.plan.nodes.push(node);
                Ok(())
            }
            "include" => self.include(file, el, scope),
            "group" => {
                let scoped = match self.optional(file, el, "scoped", scope)? {
                    Some(v) => parse_bool(&v).ok_or_else(|| {
                        file.error(
                            el.node,
                            ErrorReason::BadValue,
                            format!("scoped='{v}' is not true/false/1/0"),
                        )
                    })?,
                    None => true,
                };
                if scoped {
                    let mut inner = scope.clone();
                    self.actions(file, el, &mut inner)
                } else {
                    self.actions(file, el, scope)
                }
            }
            "push-ros-namespace" | "push_ros_namespace" => {
                let pushed = self.required(file, el, "namespace", scope)?;
                let namespace = prefix_namespace(scope.ros_namespace.as_deref(), Some(&pushed))
                    .unwrap_or_default();
                names::validate_namespace(&namespace).map_err(|e| {
                    file.error(
                        el.node,
                        ErrorReason::InvalidName,
                        format!("pushing namespace '{pushed}': {e}"),
                    )
                })?;
                scope.ros_namespace = Some(namespace);
                Ok(())
            }
            "set_remap" => {
                let remap = self.remapping(file, el, scope)?;
                scope.remaps.push(remap);
                Ok(())
            }
            "set_parameter" => {
                let name = self.required(file, el, "name", scope)?;
                let text = self.required(file, el, "value", scope)?;
                let value = params::typed_value(&name, &text).map_err(|p| file.problem(el, p))?;
                scope.global_params.push(NodeParameter::Value { name, value });
                Ok(())
            }
            // schema::check_tree let only the tags above through.
            other => Err(file.error(
                el.node,
                ErrorReason::UnknownElement,
                format!("element <{other}> is not supported"),
            )),
        }
    }

    /// `<arg name default>`: DeclareLaunchArgument keeps a value already set (by the caller,
    /// an including file or an earlier `<let>`), else takes the default; without either it fails.
    fn declare_arg(
        &mut self,
        file: &LaunchFile<'_, '_>,
        el: Element<'_, '_>,
        scope: &mut Scope,
    ) -> Result<(), LaunchError> {
        let name = self.required(file, el, "name", scope)?;
        let value = match scope.configs.get(&name) {
            Some(value) => value.clone(),
            None => match self.optional(file, el, "default", scope)? {
                Some(default) => default,
                None => {
                    return Err(file.error(
                        el.node,
                        ErrorReason::UndefinedArg,
                        format!("launch argument '{name}' has no default and was not given (give {name}:=VALUE)"),
                    ))
                }
            },
        };
        let choices: Vec<String> = el
            .children()
            .map(|c| self.required(file, c, "value", scope))
            .collect::<Result<_, _>>()?;
        if !choices.is_empty() && !choices.contains(&value) {
            return Err(file.error(
                el.node,
                ErrorReason::BadValue,
                format!(
                    "launch argument '{name}' = '{value}' is not one of: {}",
                    choices.join(", ")
                ),
            ));
        }
        scope.configs.insert(name, value);
        Ok(())
    }

    fn include(
        &mut self,
        file: &LaunchFile<'_, '_>,
        el: Element<'_, '_>,
        scope: &mut Scope,
    ) -> Result<(), LaunchError> {
        let path = PathBuf::from(self.required(file, el, "file", scope)?);
        // IncludeLaunchDescription sets its arguments in the including scope, one after the other.
        for arg in el.children() {
            let name = self.required(file, arg, "name", scope)?;
            let value = self.required(file, arg, "value", scope)?;
            scope.configs.insert(name, value);
        }
        self.read_file(&path, scope, Some((file, el)))
    }
}
