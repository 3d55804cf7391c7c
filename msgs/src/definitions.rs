//! Message definitions (`.msg` text) and the full `ros2msg` schema text that rosbag2 stores
//! with each topic: the type's own definition followed by every type it uses, depth first,
//! each after a line of 80 `=` and `MSG: pkg/Type`.

include!(concat!(env!("OUT_DIR"), "/msg_files.rs"));

const SEPARATOR: &str =
    "================================================================================";

const PRIMITIVES: &[&str] = &[
    "bool", "byte", "char", "float32", "float64", "int8", "uint8", "int16", "uint16", "int32",
    "uint32", "int64", "uint64", "string", "wstring",
];

/// The `.msg` text of one type, e.g. `"sensor_msgs/msg/Image"`.
pub fn msg_text(type_name: &str) -> Option<&'static str> {
    MSG_FILES.iter().find(|(name, _)| *name == type_name).map(|(_, text)| *text)
}

/// Every type this crate has a definition for.
pub fn known_types() -> impl Iterator<Item = &'static str> {
    MSG_FILES.iter().map(|(name, _)| *name)
}

/// The full schema text for a topic of `type_name`, as rosbag2 writes it into bags.
pub fn full_definition(type_name: &str) -> Option<String> {
    let mut text = msg_text(type_name)?.to_string();
    let mut seen = vec![type_name.to_string()];
    append_dependencies(type_name, &mut seen, &mut text);
    Some(text)
}

fn append_dependencies(type_name: &str, seen: &mut Vec<String>, out: &mut String) {
    let Some(text) = msg_text(type_name) else {
        return;
    };
    let package = type_name.split('/').next().unwrap_or_default();
    for dep in field_types(text, package) {
        if seen.contains(&dep) {
            continue;
        }
        seen.push(dep.clone());
        if let Some(dep_text) = msg_text(&dep) {
            let short = dep.replace("/msg/", "/");
            out.push_str(&format!("\n{SEPARATOR}\nMSG: {short}\n{dep_text}"));
            append_dependencies(&dep, seen, out);
        }
    }
}

/// The field declarations of a `.msg` text as (type token, name, whole line), in order;
/// comments, blank lines and constants (`TYPE NAME=VALUE`) left out.
pub fn field_lines(text: &str) -> impl Iterator<Item = (&str, &str, &str)> {
    text.lines().filter_map(|raw| {
        let line = raw.split('#').next().unwrap_or_default().trim();
        let mut tokens = line.split_whitespace();
        let (ty, name) = (tokens.next()?, tokens.next()?);
        let constant = name.contains('=') || tokens.next().is_some_and(|t| t.starts_with('='));
        (!constant).then_some((ty, name, raw))
    })
}

/// Fully qualified names (`pkg/msg/Type`) of the non-primitive field types in a `.msg` text.
pub fn field_types(text: &str, package: &str) -> Vec<String> {
    let mut types = Vec::new();
    for (ty, _, _) in field_lines(text) {
        let base = ty.split('[').next().unwrap_or(ty);
        let base = base.split("<=").next().unwrap_or(base);
        if PRIMITIVES.contains(&base) {
            continue;
        }
        let qualified = match base.split_once('/') {
            Some((pkg, name)) => format!("{pkg}/msg/{name}"),
            None => format!("{package}/msg/{base}"),
        };
        if !types.contains(&qualified) {
            types.push(qualified);
        }
    }
    types
}
