//! Launch files the reader refuses: each error names the file, the line, the element and
//! the reason, and the message says what is wrong.

mod common;

use common::{options, read, read_in, write};
use edgefusion_launch::{read_launch_file, ErrorReason, LaunchError};

fn refused(text: &str, args: &[(&str, &str)]) -> LaunchError {
    read(text, args).expect_err("the launch file should be refused")
}

/// Asserts place and reason, and that the display has `FILE:LINE:COL: <element>: ...`.
fn assert_at(err: &LaunchError, line: u32, element: &str, reason: ErrorReason, says: &str) {
    assert_eq!((err.line, err.element.as_str(), err.reason), (line, element, reason), "{err}");
    let shown = err.to_string();
    let place = format!("{}:{line}:", err.file.display());
    assert!(shown.starts_with(&place), "'{shown}' should start with '{place}'");
    assert!(shown.contains(&format!("<{element}>")), "{shown}");
    assert!(shown.contains(says), "'{shown}' should say '{says}'");
}

#[test]
fn unknown_element_names_element_and_line() {
    let err =
        refused("<launch>\n  <node pkg=\"p\" exec=\"e\"/>\n\n  <foo bar=\"1\"/>\n</launch>", &[]);
    assert_at(
        &err,
        4,
        "foo",
        ErrorReason::UnknownElement,
        "element <foo> is not supported inside <launch>",
    );
    assert_eq!(err.column, 3);
}

#[test]
fn unknown_element_in_a_branch_that_is_off_is_still_refused() {
    // ros2 launch parses the whole file before running it.
    let err = refused(
        "<launch>\n<group if=\"false\">\n  <executable cmd=\"ls\"/>\n</group>\n</launch>",
        &[],
    );
    assert_at(&err, 3, "executable", ErrorReason::UnknownElement, "<executable>");
}

#[test]
fn element_in_the_wrong_place() {
    let err = refused("<launch>\n<remap from=\"a\" to=\"b\"/>\n</launch>", &[]);
    assert_at(&err, 2, "remap", ErrorReason::UnknownElement, "inside <launch>");
    let err = refused(
        "<launch><node pkg=\"p\" exec=\"e\">\n<node pkg=\"p\" exec=\"e\"/></node></launch>",
        &[],
    );
    assert_at(&err, 2, "node", ErrorReason::UnknownElement, "inside <node>");
}

#[test]
fn unknown_attribute() {
    let err =
        refused("<launch>\n<node pkg=\"p\" exec=\"e\"\n      respawn=\"true\"/>\n</launch>", &[]);
    assert_at(
        &err,
        3,
        "node",
        ErrorReason::UnknownAttribute,
        "attribute 'respawn' is not supported on <node>",
    );
}

#[test]
fn unsupported_substitution() {
    let err = refused("<launch>\n\n<let name=\"x\" value=\"$(eval 1 + 2)\"/>\n</launch>", &[]);
    assert_at(
        &err,
        3,
        "let",
        ErrorReason::UnsupportedSubstitution,
        "substitution $(eval ...) is not supported",
    );
    // Nested inside a supported one, too.
    let err = refused("<launch><let name=\"x\" value=\"$(var $(anon n))\"/></launch>", &[]);
    assert_eq!(err.reason, ErrorReason::UnsupportedSubstitution, "{err}");
}

#[test]
fn malformed_substitutions() {
    let err = refused("<launch><let name=\"x\" value=\"$(var y\"/></launch>", &[]);
    assert_at(&err, 1, "let", ErrorReason::BadSubstitution, "no closing ')'");
    let err = refused("<launch><let name=\"x\" value=\"$(dirname extra)\"/></launch>", &[]);
    assert_at(
        &err,
        1,
        "let",
        ErrorReason::BadSubstitution,
        "$(dirname) takes 0 to 0 argument(s), got 1",
    );
}

#[test]
fn undefined_arg() {
    let err =
        refused("<launch>\n<node pkg=\"p\" exec=\"e\" name=\"$(var robot)\"/>\n</launch>", &[]);
    assert_at(&err, 2, "node", ErrorReason::UndefinedArg, "launch argument 'robot' is not defined");
    // A declared argument without default that nobody gives.
    let err = refused("<launch>\n<arg name=\"robot\"/>\n</launch>", &[]);
    assert_at(
        &err,
        2,
        "arg",
        ErrorReason::UndefinedArg,
        "'robot' has no default and was not given",
    );
    // Given by the caller it is fine.
    assert!(read("<launch><arg name=\"robot\"/></launch>", &[("robot", "car")]).is_ok());
}

#[test]
fn undefined_env() {
    let err = refused(
        "<launch>\n<let name=\"x\" value=\"$(env EDGEFUSION_SURELY_UNSET)\"/>\n</launch>",
        &[],
    );
    assert_at(&err, 2, "let", ErrorReason::UndefinedEnv, "'EDGEFUSION_SURELY_UNSET' is not set");
}

#[test]
fn missing_include_file_is_reported_at_the_include() {
    let err = refused(
        "<launch>\n<group>\n  <include file=\"/nonexistent/x.launch.xml\"/>\n</group>\n</launch>",
        &[],
    );
    assert_at(
        &err,
        3,
        "include",
        ErrorReason::MissingFile,
        "launch file /nonexistent/x.launch.xml does not exist",
    );
}

#[test]
fn missing_params_file() {
    let err = refused("<launch>\n<node pkg=\"p\" exec=\"e\">\n  <param from=\"/nonexistent/p.yaml\"/>\n</node>\n</launch>", &[]);
    assert_at(
        &err,
        3,
        "param",
        ErrorReason::MissingFile,
        "parameters file /nonexistent/p.yaml does not exist",
    );
}

#[test]
fn missing_top_level_file() {
    let err = read_launch_file("/nonexistent/top.launch.xml".as_ref(), &options(&[], &[], vec![]))
        .unwrap_err();
    assert_eq!((err.line, err.reason), (0, ErrorReason::MissingFile));
    assert_eq!(
        err.to_string(),
        "/nonexistent/top.launch.xml: launch file /nonexistent/top.launch.xml does not exist"
    );
}

#[test]
fn error_in_an_included_file_names_that_file() {
    let dir = tempfile::tempdir().unwrap();
    let child = write(dir.path(), "child.launch.xml", "<launch>\n\n<node pkg=\"p\"/>\n</launch>");
    let err = read_in(
        dir.path(),
        "<launch><include file=\"$(dirname)/child.launch.xml\"/></launch>",
        &[],
    )
    .unwrap_err();
    assert_eq!(err.file, child);
    assert_at(&err, 3, "node", ErrorReason::MissingAttribute, "<node> needs attribute 'exec'");
}

#[test]
fn include_cycle() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.launch.xml",
        "<launch><include file=\"$(dirname)/b.launch.xml\"/></launch>",
    );
    write(
        dir.path(),
        "b.launch.xml",
        "<launch>\n<include file=\"$(dirname)/a.launch.xml\"/></launch>",
    );
    let err =
        read_launch_file(&dir.path().join("a.launch.xml"), &options(&[], &[], vec![])).unwrap_err();
    assert_at(&err, 2, "include", ErrorReason::IncludeCycle, "includes itself");
}

#[test]
fn bad_values() {
    let err = refused("<launch>\n<node pkg=\"p\" exec=\"e\" if=\"yes\"/>\n</launch>", &[]);
    assert_at(&err, 2, "node", ErrorReason::BadValue, "if='yes' is not true/false/1/0");
    let err = refused("<launch><group scoped=\"maybe\"/></launch>", &[]);
    assert_at(&err, 1, "group", ErrorReason::BadValue, "scoped='maybe'");
    let err = refused("<launch><node pkg=\"p\" exec=\"e\" output=\"loud\"/></launch>", &[]);
    assert_at(&err, 1, "node", ErrorReason::BadValue, "output='loud'");
    // launch_ros refuses mixed lists, maps and null as parameter values.
    for bad in ["[1, a]", "{a: 1}", "null", "[]"] {
        let text = format!("<launch><node pkg=\"p\" exec=\"e\">\n<param name=\"k\" value=\"{bad}\"/></node></launch>");
        let err = refused(&text, &[]);
        assert_at(&err, 2, "param", ErrorReason::BadValue, "parameter 'k'");
    }
}

#[test]
fn invalid_names() {
    let err = refused("<launch><node pkg=\"p\" exec=\"e\" name=\"my-node\"/></launch>", &[]);
    assert_at(&err, 1, "node", ErrorReason::InvalidName, "node name");
    let err = refused("<launch><node pkg=\"p\" exec=\"e\" namespace=\"/a//b\"/></launch>", &[]);
    assert_at(&err, 1, "node", ErrorReason::InvalidName, "node namespace");
    let err = refused(
        "<launch><node pkg=\"p\" exec=\"e\">\n<remap from=\"in\" to=\"out/\"/></node></launch>",
        &[],
    );
    assert_at(&err, 2, "remap", ErrorReason::InvalidName, "remap in -> out/");
}

#[test]
fn not_xml_and_wrong_root() {
    let err = refused("<launch>\n<node pkg=\"p\" exec=\"e\">\n</launch>", &[]);
    assert_eq!((err.reason, err.line), (ErrorReason::Xml, 3), "{err}");
    let err = refused("<?xml version=\"1.0\"?>\n<roslaunch/>", &[]);
    assert_at(&err, 2, "roslaunch", ErrorReason::Xml, "expected <launch>");
}

#[test]
fn substitution_without_name_or_arguments() {
    let err = refused("<launch><let name=\"x\" value=\"$()\"/></launch>", &[]);
    assert_at(&err, 1, "let", ErrorReason::BadSubstitution, "no name after '$('");
    let err = refused("<launch><let name=\"x\" value=\"$(var)\"/></launch>", &[]);
    assert_at(
        &err,
        1,
        "let",
        ErrorReason::BadSubstitution,
        "$(var) takes 1 to 2 argument(s), got 0",
    );
    let err = refused("<launch><let name=\"x\" value=\"$(var.x)\"/></launch>", &[]);
    assert_at(
        &err,
        1,
        "let",
        ErrorReason::BadSubstitution,
        "expected a space or ')' after the name",
    );
}
