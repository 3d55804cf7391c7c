//! vehicle.launch.py declares the same arguments, nodes, parameters and remaps as
//! vehicle.launch.xml.
//!
//! launch/launch_ros are not installable here (not on PyPI for Kilted), so the .py is not run:
//! `launch_py_ast.py` reads its syntax tree with Python's `ast` module, strictly (an unknown
//! call, keyword or wrong import fails it), and prints its arguments and nodes with the
//! substitutions in XML syntax. This test evaluates those with the same argument values and
//! compares them with the plan our reader makes of the XML, for the defaults and for a set of
//! given values. What it proves: same nodes in the same order, same names, namespaces,
//! parameter files and values, remaps, arguments with the same defaults, and that the file
//! is valid Python importing the names from the right launch modules. What it does not:
//! that launch_ros accepts every argument type at run time (only keyword names are checked).

mod common;

use common::options;
use edgefusion_launch::{read_launch_file, LaunchPlan, NodeParameter, ParamValue};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// The .py read by the AST script; None (test skipped) when there is no Python, except in CI.
fn python_side() -> Option<Value> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/launch_py_ast.py");
    let output = match Command::new(&python)
        .arg(script)
        .arg(repo().join("launch/vehicle.launch.py"))
        .output()
    {
        Ok(output) => output,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("SKIPPED: cannot run {python} ({e}); set PYTHON");
            return None;
        }
        Err(e) => panic!("cannot run {python} in CI: {e}"),
    };
    assert!(
        output.status.success(),
        "launch_py_ast.py refused the file: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).expect("JSON from launch_py_ast.py"))
}

/// The XML's top-level `<arg name default>`s.
fn xml_arguments() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(repo().join("launch/vehicle.launch.xml")).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    doc.root_element()
        .children()
        .filter(|n| n.has_tag_name("arg"))
        .map(|n| {
            (n.attribute("name").unwrap().to_string(), n.attribute("default").unwrap().to_string())
        })
        .collect()
}

/// Evaluates `$(var X)` and `$(find-pkg-share edgefusion)` in a template of the AST script.
fn eval(template: &Value, values: &BTreeMap<String, String>) -> Option<String> {
    let mut text =
        template.as_str()?.replace("$(find-pkg-share edgefusion)", &repo().display().to_string());
    for (name, value) in values {
        text = text.replace(&format!("$(var {name})"), value);
    }
    assert!(!text.contains("$("), "unevaluated substitution left in {text}");
    Some(text)
}

fn param_text(value: &ParamValue) -> String {
    match value {
        ParamValue::Bool(b) => b.to_string(),
        ParamValue::Integer(i) => i.to_string(),
        ParamValue::String(s) => s.clone(),
        other => panic!("no such parameter in vehicle.launch.py: {other:?}"),
    }
}

/// One node of either side, in comparable form.
type NodeView =
    (String, String, Option<String>, String, Option<String>, Vec<String>, Vec<(String, String)>);

fn xml_view(plan: &LaunchPlan) -> Vec<NodeView> {
    plan.nodes
        .iter()
        .map(|n| {
            let params = n
                .parameters
                .iter()
                .map(|p| match p {
                    NodeParameter::File { path } => format!("file {}", path.display()),
                    NodeParameter::Value { name, value } => {
                        format!("{name} = {}", param_text(value))
                    }
                })
                .collect();
            let remaps = n.remappings.iter().map(|r| (r.from.clone(), r.to.clone())).collect();
            assert!(n.args.is_empty() && n.log_levels.is_empty());
            (
                n.package.clone(),
                n.executable.clone(),
                n.name.clone(),
                n.namespace.clone(),
                n.output.clone(),
                params,
                remaps,
            )
        })
        .collect()
}

fn py_view(py: &Value, values: &BTreeMap<String, String>) -> Vec<NodeView> {
    let s = |v: &Value| eval(v, values);
    py["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            // launch_ros: a node namespace is made absolute ('' is the root).
            let ns = s(&n["namespace"]).unwrap_or_default();
            let ns = if ns.starts_with('/') { ns } else { format!("/{ns}") };
            let params = n["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| match p["kind"].as_str() {
                    Some("file") => format!("file {}", s(&p["path"]).unwrap()),
                    _ => format!("{} = {}", p["name"].as_str().unwrap(), s(&p["value"]).unwrap()),
                })
                .collect();
            let remaps = n["remappings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (s(&r["from"]).unwrap(), s(&r["to"]).unwrap()))
                .collect();
            assert_eq!(n["args"], Value::Array(vec![]));
            assert_eq!(n["ros_args"], Value::Array(vec![]));
            (
                s(&n["package"]).unwrap(),
                s(&n["executable"]).unwrap(),
                s(&n["name"]),
                ns,
                s(&n["output"]),
                params,
                remaps,
            )
        })
        .collect()
}

#[test]
fn vehicle_launch_py_matches_the_xml() {
    let Some(py) = python_side() else { return };
    let py_args: BTreeMap<String, String> =
        serde_json::from_value(py["arguments"].clone()).expect("arguments with text defaults");
    assert_eq!(py_args, xml_arguments(), "arguments and defaults");

    let given = [
        ("use_sim_time", "true"),
        ("namespace", "car1"),
        ("model_path", "/opt/models/fusion_fp32.pt"),
        ("lidar_topic", "/velodyne_points"),
        ("image_topic", "/camera/image"),
        ("compressed_image_topic", "/camera/image/compressed"),
        ("camera_info_topic", "/camera/info"),
        ("odometry_topic", "/odom"),
    ];
    for args in [&given[..0], &given[..]] {
        let mut values = py_args.clone();
        values.extend(args.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let path = repo().join("launch/vehicle.launch.xml");
        let plan = read_launch_file(&path, &options(args, &[], Vec::new()))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.nodes.len(), 4);
        assert_eq!(xml_view(&plan), py_view(&py, &values), "with {args:?}");
    }
}
