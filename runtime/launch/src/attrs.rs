//! Attribute values of an element, evaluated in the current scope, and the launch
//! configurations that make up a scope.

use crate::errors::{ErrorReason, LaunchError, Problem};
use crate::names;
use crate::parser::Reader;
use crate::plan::{NodeParameter, Remapping};
use crate::source::{Element, LaunchFile};
use crate::substitutions::{self, Resolve};
use crate::LaunchOptions;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The launch configurations in force at a point of the file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    pub configs: HashMap<String, String>,
    /// launch_ros' `ros_namespace`: absolute, or None when nothing was pushed.
    pub ros_namespace: Option<String>,
    pub remaps: Vec<Remapping>,
    pub global_params: Vec<NodeParameter>,
}

/// Substitution context: the scope, the file being read, the options.
pub(crate) struct Ctx<'a> {
    pub scope: &'a Scope,
    pub file: &'a Path,
    pub options: &'a LaunchOptions,
}

impl Resolve for Ctx<'_> {
    fn var(&self, name: &str) -> Option<String> {
        self.scope.configs.get(name).cloned()
    }

    fn env(&self, name: &str) -> Option<String> {
        match &self.options.env {
            Some(env) => env.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    }

    fn package_share(&self, package: &str) -> Result<PathBuf, Problem> {
        self.options.resolver.share_dir(package, self.file).map_err(|m| {
            Problem::new(ErrorReason::PackageNotFound, format!("$(find-pkg-share {package}): {m}"))
        })
    }

    fn launch_file(&self) -> &Path {
        self.file
    }
}

impl Reader<'_> {
    /// `if`/`unless`: true/false/1/0 in any case, as launch's evaluate_condition_expression.
    pub fn condition(
        &self,
        file: &LaunchFile<'_, '_>,
        el: Element<'_, '_>,
        scope: &Scope,
    ) -> Result<bool, LaunchError> {
        let when = self.optional(file, el, "if", scope)?;
        let unless = self.optional(file, el, "unless", scope)?;
        let read = |attr: &str, v: &str| {
            parse_bool(v).ok_or_else(|| {
                file.error(
                    el.node,
                    ErrorReason::BadValue,
                    format!("{attr}='{v}' is not true/false/1/0"),
                )
            })
        };
        match (when, unless) {
            (Some(_), Some(_)) => Err(file.error(
                el.node,
                ErrorReason::BadValue,
                "both 'if' and 'unless' given".into(),
            )),
            (Some(v), None) => read("if", &v),
            (None, Some(v)) => Ok(!read("unless", &v)?),
            (None, None) => Ok(true),
        }
    }

    pub fn remapping(
        &self,
        file: &LaunchFile<'_, '_>,
        el: Element<'_, '_>,
        scope: &Scope,
    ) -> Result<Remapping, LaunchError> {
        let from = self.required(file, el, "from", scope)?;
        let to = self.required(file, el, "to", scope)?;
        names::RemapRule::parse(&format!("{from}:={to}")).map_err(|e| {
            file.error(el.node, ErrorReason::InvalidName, format!("remap {from} -> {to}: {e}"))
        })?;
        Ok(Remapping { from, to })
    }

    /// The evaluated value of attribute `name`, None when absent.
    pub fn optional(
        &self,
        file: &LaunchFile<'_, '_>,
        el: Element<'_, '_>,
        name: &str,
        scope: &Scope,
    ) -> Result<Option<String>, LaunchError> {
        let Some(raw) = el.attr(name) else { return Ok(None) };
        let ctx = Ctx { scope, file: file.path, options: self.options };
        let at = el.node.attribute_node(name).map_or(el.node.range().start, |a| a.range().start);
        let in_attr = |p: Problem| {
            file.error_at(at, el.tag(), p.reason, format!("attribute '{name}': {}", p.message))
        };
        let parts = substitutions::parse(raw).map_err(in_attr)?;
        substitutions::evaluate(&parts, &ctx).map(Some).map_err(in_attr)
    }

    pub fn required(
        &self,
        file: &LaunchFile<'_, '_>,
        el: Element<'_, '_>,
        name: &str,
        scope: &Scope,
    ) -> Result<String, LaunchError> {
        self.optional(file, el, name, scope)?.ok_or_else(|| {
            file.error(
                el.node,
                ErrorReason::MissingAttribute,
                format!("<{}> needs attribute '{name}'", el.tag()),
            )
        })
    }
}

/// launch's condition values: true/false/1/0, any case.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// launch_ros `prefix_namespace(base, ns)` made absolute: a relative `ns` goes below `base`,
/// an absolute one replaces it; trailing '/' are stripped (except the root).
pub(crate) fn prefix_namespace(base: Option<&str>, ns: Option<&str>) -> Option<String> {
    let combined = match ns {
        None => base?.to_string(),
        Some(ns) => match base {
            Some(base) if !base.is_empty() && !ns.starts_with('/') => {
                format!("{}/{ns}", if base == "/" { "" } else { base })
            }
            _ => ns.to_string(),
        },
    };
    let trimmed =
        if combined == "/" { combined } else { combined.trim_end_matches('/').to_string() };
    Some(if trimmed.starts_with('/') { trimmed } else { format!("/{trimmed}") })
}
