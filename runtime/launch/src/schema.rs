//! Which elements and attributes the reader supports, where. The whole file is checked against
//! this before anything runs (as `ros2 launch` parses the whole file first), so an unsupported
//! element is refused even inside a branch an `if` turns off.

use crate::errors::ErrorReason;
use crate::source::{Element, LaunchFile};
use crate::substitutions;
use crate::LaunchError;

/// Elements that are actions: allowed in `<launch>` and `<group>`.
pub(crate) const ACTIONS: [&str; 9] = [
    "arg",
    "let",
    "node",
    "include",
    "group",
    "push-ros-namespace",
    "push_ros_namespace",
    "set_remap",
    "set_parameter",
];

pub(crate) struct Spec {
    pub attrs: &'static [&'static str],
    pub children: &'static [&'static str],
}

const NONE: &[&str] = &[];

/// The spec of element `tag` inside `parent`; None when it is not supported there.
pub(crate) fn spec(tag: &str, parent: &str) -> Option<Spec> {
    let s = |attrs, children| Some(Spec { attrs, children });
    match (parent, tag) {
        ("", "launch") => s(NONE, &ACTIONS),
        ("launch" | "group", _) => match tag {
            "arg" => s(&["name", "default", "description", "if", "unless"], &["choice"]),
            "let" => s(&["name", "value", "if", "unless"], NONE),
            "node" => s(
                &["pkg", "exec", "name", "namespace", "output", "args", "ros_args", "if", "unless"],
                &["param", "remap"],
            ),
            "include" => s(&["file", "if", "unless"], &["arg"]),
            "group" => s(&["scoped", "if", "unless"], &ACTIONS),
            "push-ros-namespace" | "push_ros_namespace" => s(&["namespace", "if", "unless"], NONE),
            "set_remap" => s(&["from", "to", "if", "unless"], NONE),
            "set_parameter" => s(&["name", "value", "if", "unless"], NONE),
            _ => None,
        },
        ("arg", "choice") => s(&["value"], NONE),
        ("include", "arg") => s(&["name", "value"], NONE),
        ("node", "param") => s(&["name", "value", "from"], &["param"]),
        ("node", "remap") => s(&["from", "to"], NONE),
        ("param", "param") => s(&["name", "value"], &["param"]),
        _ => None,
    }
}

/// Checks an element and everything below it: known elements and attributes, well-formed
/// substitutions with supported names, no stray text.
pub(crate) fn check_tree(
    file: &LaunchFile<'_, '_>,
    el: Element<'_, '_>,
    parent: &str,
) -> Result<(), LaunchError> {
    let tag = el.tag();
    let Some(spec) = spec(tag, parent) else {
        let where_ = if parent.is_empty() {
            "as the root (expected <launch>)".to_string()
        } else {
            format!("inside <{parent}>")
        };
        let reason = if parent.is_empty() { ErrorReason::Xml } else { ErrorReason::UnknownElement };
        return Err(file.error(
            el.node,
            reason,
            format!("element <{tag}> is not supported {where_}"),
        ));
    };
    for attr in el.node.attributes() {
        if !spec.attrs.contains(&attr.name()) {
            let supported =
                if spec.attrs.is_empty() { "none".to_string() } else { spec.attrs.join(", ") };
            return Err(file.error_at(
                attr.range().start,
                tag,
                ErrorReason::UnknownAttribute,
                format!(
                    "attribute '{}' is not supported on <{tag}> (supported: {supported})",
                    attr.name()
                ),
            ));
        }
        substitutions::parse(attr.value()).map_err(|p| {
            file.error_at(
                attr.range().start,
                tag,
                p.reason,
                format!("attribute '{}': {}", attr.name(), p.message),
            )
        })?;
    }
    for child in el.node.children() {
        if child.is_text() && child.text().is_some_and(|t| !t.trim().is_empty()) {
            return Err(file.error(
                child,
                ErrorReason::UnknownElement,
                format!("unexpected text inside <{tag}>"),
            ));
        }
        if child.is_element() {
            let child = Element { node: child };
            if !spec.children.contains(&child.tag()) {
                return Err(file.error(
                    child.node,
                    ErrorReason::UnknownElement,
                    format!("element <{}> is not supported inside <{tag}>", child.tag()),
                ));
            }
            check_tree(file, child, tag)?;
        }
    }
    Ok(())
}
