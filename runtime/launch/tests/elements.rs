//! Each supported element and substitution, with the semantics of launch/launch_ros.

mod common;

use common::{ament_prefix, options, read, read_in, write};
use edgefusion_launch::{read_launch_file, NodeParameter, ParamValue, Remapping};
use std::path::PathBuf;

fn value(name: &str, value: ParamValue) -> NodeParameter {
    NodeParameter::Value { name: name.to_string(), value }
}

fn remap(from: &str, to: &str) -> Remapping {
    Remapping { from: from.to_string(), to: to.to_string() }
}

#[test]
fn node_attributes_and_children() {
    let plan = read(
        r#"<launch>
  <node pkg="demo" exec="talker" name="talk" namespace="/car" output="screen"
        args="--rate 10  --verbose" ros_args="--log-level debug -p rate:=5 -r chatter:=/first">
    <param name="rate" value="10"/>
    <remap from="chatter" to="/out"/>
  </node>
  <node pkg="demo" exec="listener"/>
</launch>"#,
        &[],
    )
    .unwrap();
    let [talker, listener] = &plan.nodes[..] else { panic!("two nodes expected: {plan:?}") };
    assert_eq!((talker.package.as_str(), talker.executable.as_str()), ("demo", "talker"));
    assert_eq!(talker.name.as_deref(), Some("talk"));
    assert_eq!(talker.namespace, "/car");
    assert_eq!(talker.output.as_deref(), Some("screen"));
    assert_eq!(talker.args, ["--rate", "10", "--verbose"]);
    assert_eq!(talker.log_levels, ["debug"]);
    // ros_args come first on launch_ros' command line: their -p is overridden by <param>,
    // their -r is tried before <remap> (rcl: first match wins).
    assert_eq!(
        talker.parameters,
        [value("rate", ParamValue::Integer(5)), value("rate", ParamValue::Integer(10))]
    );
    assert_eq!(talker.remappings, [remap("chatter", "/first"), remap("chatter", "/out")]);
    let names = talker.node_names("talker_default").unwrap();
    assert_eq!(names.resolve_topic("chatter").unwrap(), "/first");
    assert_eq!(talker.source.line, 2);
    assert_eq!(listener.source.line, 7);
    // No name: the executable's own; no namespace: the root.
    assert_eq!((listener.name.as_deref(), listener.namespace.as_str()), (None, "/"));
    assert_eq!(listener.output, None);
}

#[test]
fn param_values_are_typed_like_launch_ros() {
    // launch_ros evaluates a param's text with yaml.safe_load (YAML 1.1).
    let plan = read(
        r#"<launch><node pkg="p" exec="e">
  <param name="b" value="true"/>
  <param name="yes" value="yes"/>
  <param name="i" value="-3"/>
  <param name="d" value="0.5"/>
  <param name="e" value="1e3"/>
  <param name="s" value="cpu"/>
  <param name="quoted" value="'10'"/>
  <param name="empty" value=""/>
  <param name="ints" value="[1, 2, 3]"/>
  <param name="strs" value="[a, b]"/>
  <param name="group">
    <param name="inner" value="2.0"/>
    <param name="deeper"><param name="x" value="x"/></param>
  </param>
</node></launch>"#,
        &[],
    )
    .unwrap();
    let expected = vec![
        value("b", ParamValue::Bool(true)),
        value("yes", ParamValue::Bool(true)),
        value("i", ParamValue::Integer(-3)),
        value("d", ParamValue::Double(0.5)),
        // PyYAML needs a '.' in a float: "1e3" stays a string.
        value("e", ParamValue::String("1e3".into())),
        value("s", ParamValue::String("cpu".into())),
        value("quoted", ParamValue::String("10".into())),
        value("empty", ParamValue::String(String::new())),
        value("ints", ParamValue::IntegerArray(vec![1, 2, 3])),
        value("strs", ParamValue::StringArray(vec!["a".into(), "b".into()])),
        value("group.inner", ParamValue::Double(2.0)),
        value("group.deeper.x", ParamValue::String("x".into())),
    ];
    assert_eq!(plan.nodes[0].parameters, expected);
}

#[test]
fn params_file_and_inline_params_keep_document_order() {
    // launch_ros passes each entry in order (--params-file / a params file per inline param):
    // a later entry overrides an earlier one, so the order is the plan's order.
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "p.yaml", "n:\n  ros__parameters:\n    a: 1\n");
    let plan = read_in(
        dir.path(),
        r#"<launch><node pkg="p" exec="e">
  <param name="a" value="0"/>
  <param from="$(dirname)/p.yaml"/>
  <param name="a" value="2"/>
</node></launch>"#,
        &[],
    )
    .unwrap();
    assert_eq!(
        plan.nodes[0].parameters,
        [
            value("a", ParamValue::Integer(0)),
            NodeParameter::File { path: file },
            value("a", ParamValue::Integer(2))
        ]
    );
}

#[test]
fn args_defaults_caller_values_and_let() {
    let text = r#"<launch>
  <arg name="rate" default="10" description="Hz"/>
  <arg name="mode" default="fast"><choice value="fast"/><choice value="slow"/></arg>
  <let name="topic" value="/out/r$(var rate)"/>
  <node pkg="p" exec="e" name="n_$(var mode)">
    <param name="rate" value="$(var rate)"/>
    <remap from="in" to="$(var topic)"/>
  </node>
</launch>"#;
    let defaults = read(text, &[]).unwrap();
    assert_eq!(defaults.nodes[0].name.as_deref(), Some("n_fast"));
    assert_eq!(defaults.nodes[0].parameters, [value("rate", ParamValue::Integer(10))]);
    assert_eq!(defaults.nodes[0].remappings, [remap("in", "/out/r10")]);
    // Values given by the caller win over defaults.
    let given = read(text, &[("rate", "20"), ("mode", "slow")]).unwrap();
    assert_eq!(given.nodes[0].name.as_deref(), Some("n_slow"));
    assert_eq!(given.nodes[0].remappings, [remap("in", "/out/r20")]);
    // A value outside the choices is refused.
    let err = read(text, &[("mode", "warp")]).unwrap_err();
    assert!(err.to_string().contains("'warp' is not one of: fast, slow"), "{err}");
}

#[test]
fn substitutions_env_optenv_dirname_filename_nested() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "sub.launch.xml",
        r#"<launch>
  <arg name="which" default="HOME_X"/>
  <node pkg="p" exec="e" name="n">
    <param name="env" value="$(env ROBOT)"/>
    <param name="env_default" value="$(env NOT_SET 'fall back')"/>
    <param name="optenv" value="x$(optenv NOT_SET)x"/>
    <param name="nested" value="$(env $(var which))"/>
    <param name="var_default" value="$(var not_declared $(env ROBOT))"/>
    <param name="dir" value="$(dirname)/x"/>
    <param name="file" value="$(filename)"/>
    <param name="dollar" value="costs $5 (approx)"/>
  </node>
</launch>"#,
    );
    let opts = options(&[], &[("ROBOT", "car1"), ("HOME_X", "nested ok")], Vec::new());
    let plan = read_launch_file(&path, &opts).unwrap();
    let text = |v: &str| ParamValue::String(v.to_string());
    assert_eq!(
        plan.nodes[0].parameters,
        [
            value("env", text("car1")),
            value("env_default", text("fall back")),
            value("optenv", text("xx")),
            value("nested", text("nested ok")),
            value("var_default", text("car1")),
            value("dir", text(&format!("{}/x", dir.path().display()))),
            value("file", text("sub.launch.xml")),
            value("dollar", text("costs $5 (approx)")),
        ]
    );
}

#[test]
fn find_pkg_share_uses_the_ament_index() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = ament_prefix(dir.path(), "demo");
    write(&prefix, "share/demo/params.yaml", "n:\n  ros__parameters: {}\n");
    // A share directory without the index marker is not a package (ament's rule).
    std::fs::create_dir_all(prefix.join("share/unindexed")).unwrap();
    let path = write(
        dir.path(),
        "a.launch.xml",
        r#"<launch><node pkg="demo" exec="e"><param from="$(find-pkg-share demo)/params.yaml"/></node></launch>"#,
    );
    let plan = read_launch_file(&path, &options(&[], &[], vec![prefix.clone()])).unwrap();
    assert_eq!(
        plan.nodes[0].parameters,
        [NodeParameter::File { path: prefix.join("share/demo/params.yaml") }]
    );

    let other = write(
        dir.path(),
        "b.launch.xml",
        r#"<launch><let name="x" value="$(find-pkg-share unindexed)"/></launch>"#,
    );
    let err = read_launch_file(&other, &options(&[], &[], vec![prefix])).unwrap_err();
    assert_eq!(err.reason.as_str(), "package_not_found");
    assert!(err.to_string().contains("package 'unindexed' not found"), "{err}");
}

#[test]
fn find_pkg_share_edgefusion_falls_back_to_the_source_checkout() {
    // Not installed (no prefix): the repository holding the launch file is the share dir.
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap();
    let root = edgefusion_launch::source_checkout(&repo.join("launch/vehicle.launch.xml")).unwrap();
    assert_eq!(root, repo);
    assert!(root.join("calib/params/fusion.yaml").is_file());
    // Outside a checkout there is no fallback.
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "x.launch.xml",
        r#"<launch><let name="x" value="$(find-pkg-share edgefusion)"/></launch>"#,
    );
    let err = read_launch_file(&path, &options(&[], &[], Vec::new())).unwrap_err();
    assert!(err.to_string().contains("nor in a source checkout"), "{err}");
}

#[test]
fn if_and_unless() {
    let plan = read(
        r#"<launch>
  <arg name="on" default="True"/>
  <node pkg="p" exec="a" if="$(var on)"/>
  <node pkg="p" exec="b" unless="$(var on)"/>
  <node pkg="p" exec="c" if="0"/>
  <node pkg="p" exec="d" unless="FALSE"/>
  <group if="false"><node pkg="p" exec="e"/></group>
  <let name="on" value="1" if="false"/>
  <include file="/does/not/exist.launch.xml" if="false"/>
</launch>"#,
        &[],
    )
    .unwrap();
    let execs: Vec<&str> = plan.nodes.iter().map(|n| n.executable.as_str()).collect();
    assert_eq!(execs, ["a", "d"]);
}

#[test]
fn group_scopes_args_remaps_params_and_namespace() {
    let plan = read(
        r#"<launch>
  <arg name="x" default="outer"/>
  <group>
    <let name="x" value="inner"/>
    <push-ros-namespace namespace="car"/>
    <set_remap from="in" to="/group_in"/>
    <set_parameter name="use_sim_time" value="true"/>
    <node pkg="p" exec="a" name="a_$(var x)"><remap from="in" to="/own_in"/><param name="k" value="1"/></node>
  </group>
  <node pkg="p" exec="b" name="b_$(var x)"/>
  <group scoped="false"><let name="x" value="leaked"/></group>
  <node pkg="p" exec="c" name="c_$(var x)"/>
</launch>"#,
        &[],
    )
    .unwrap();
    let [a, b, c] = &plan.nodes[..] else { panic!("{plan:?}") };
    assert_eq!((a.name.as_deref(), a.namespace.as_str()), (Some("a_inner"), "/car"));
    // set_remap comes before the node's own remaps (rcl: first match wins), set_parameter
    // before the node's own params (a later value wins), as launch_ros orders them.
    assert_eq!(a.remappings, [remap("in", "/group_in"), remap("in", "/own_in")]);
    assert_eq!(
        a.parameters,
        [value("use_sim_time", ParamValue::Bool(true)), value("k", ParamValue::Integer(1))]
    );
    // Nothing leaks out of the scoped group.
    assert_eq!((b.name.as_deref(), b.namespace.as_str()), (Some("b_outer"), "/"));
    assert!(b.remappings.is_empty() && b.parameters.is_empty());
    // scoped="false" does leak.
    assert_eq!(c.name.as_deref(), Some("c_leaked"));
}

#[test]
fn namespaces_combine_like_launch_ros() {
    // launch_ros prefix_namespace: a relative namespace goes below the pushed one, an absolute
    // one replaces it; push-ros-namespace nests the same way.
    let plan = read(
        r#"<launch>
  <group><push-ros-namespace namespace="a"/><push_ros_namespace namespace="b/"/>
    <node pkg="p" exec="rel" namespace="c"/>
    <node pkg="p" exec="abs" namespace="/top"/>
    <node pkg="p" exec="none"/>
    <node pkg="p" exec="empty" namespace=""/>
  </group>
  <group><push-ros-namespace namespace="a"/><push-ros-namespace namespace="/z"/>
    <node pkg="p" exec="replaced"/>
  </group>
  <node pkg="p" exec="relative_root" namespace="r"/>
</launch>"#,
        &[],
    )
    .unwrap();
    let got: Vec<(&str, &str)> =
        plan.nodes.iter().map(|n| (n.executable.as_str(), n.namespace.as_str())).collect();
    assert_eq!(
        got,
        [
            ("rel", "/a/b/c"),
            ("abs", "/top"),
            ("none", "/a/b"),
            ("empty", "/a/b"),
            ("replaced", "/z"),
            ("relative_root", "/r"),
        ]
    );
}

#[test]
fn include_passes_args_and_does_not_scope() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "sub/child.launch.xml",
        r#"<launch>
  <arg name="robot"/>
  <arg name="rate" default="5"/>
  <let name="from_child" value="set in child"/>
  <push-ros-namespace namespace="$(var robot)"/>
  <node pkg="p" exec="e" name="n"><param name="rate" value="$(var rate)"/><param name="dir" value="$(dirname)"/></node>
</launch>"#,
    );
    let plan = read_in(
        dir.path(),
        r#"<launch>
  <group>
    <include file="$(dirname)/sub/child.launch.xml"><arg name="robot" value="car1"/></include>
    <node pkg="p" exec="after_include" name="m"><param name="x" value="$(var from_child)"/></node>
  </group>
  <node pkg="p" exec="after_group" namespace="q"/>
</launch>"#,
        &[],
    )
    .unwrap();
    let [child, after_include, after_group] = &plan.nodes[..] else { panic!("{plan:?}") };
    assert_eq!(child.namespace, "/car1");
    assert_eq!(
        child.parameters,
        [
            value("rate", ParamValue::Integer(5)),
            value("dir", ParamValue::String(dir.path().join("sub").display().to_string())),
        ]
    );
    assert!(child.source.file.ends_with("sub/child.launch.xml"));
    // ROS 2 includes are not scoped: the child's let and pushed namespace are still set.
    assert_eq!(after_include.namespace, "/car1");
    assert_eq!(after_include.parameters, [value("x", ParamValue::String("set in child".into()))]);
    // The group around the include contains them.
    assert_eq!(after_group.namespace, "/q");
}

#[test]
fn ros_args_rename_the_node_like_rcl() {
    // launch_ros passes ros_args before its own `-r __node:=NAME`; rcl takes the first match.
    let plan = read(
        r#"<launch><node pkg="p" exec="e" name="launch_name" namespace="ns"
  ros_args="--ros-args -r __node:=from_ros_args -r from_ros_args:__ns:=/other"/></launch>"#,
        &[],
    )
    .unwrap();
    let node = &plan.nodes[0];
    assert_eq!(node.name.as_deref(), Some("launch_name"));
    let names = node.node_names("default").unwrap();
    assert_eq!(names.fully_qualified_name(), "/other/from_ros_args");
    assert_eq!(names.resolve_topic("~/out").unwrap(), "/other/from_ros_args/out");
}

#[test]
fn ros_args_parser() {
    let parsed = edgefusion_launch::parse_ros_args(&[
        "-r",
        "a:=b",
        "--param",
        "k:=[1.5, 2.5]",
        "--log-level",
        "warn",
    ])
    .unwrap();
    assert_eq!(parsed.remappings, [remap("a", "b")]);
    assert_eq!(parsed.parameters, [value("k", ParamValue::DoubleArray(vec![1.5, 2.5]))]);
    assert_eq!(parsed.log_levels, ["warn"]);
    let err = edgefusion_launch::parse_ros_args(&["--enclave", "/x"]).unwrap_err();
    assert!(err.contains("--enclave is not supported"), "{err}");
    let err = edgefusion_launch::parse_ros_args(&["-p"]).unwrap_err();
    assert!(err.contains("-p needs a value"), "{err}");
    let err =
        edgefusion_launch::parse_ros_args(&["--params-file", "/nonexistent.yaml"]).unwrap_err();
    assert!(err.contains("/nonexistent.yaml does not exist"), "{err}");
}

#[test]
fn substitutions_adjacent_and_quoted_with_nested() {
    // launch's grammar: a quoted argument may hold spaces and substitutions.
    let plan = read(
        r#"<launch><arg name="a" default="1"/><arg name="b" default="2"/>
  <node pkg="p" exec="e" args="$(var a)$(var b)-$(optenv NOT_SET '$(var a) and $(var b)') x"/>
</launch>"#,
        &[],
    )
    .unwrap();
    assert_eq!(plan.nodes[0].args, ["12-1", "and", "2", "x"]);
}
