//! The repository's launch files (launch/) read into the plan they are written to give:
//! the camera, lidar, v2x and fusion nodes of package edgefusion with their calib/params files,
//! use_sim_time, and the sensor inputs remapped (onto the CARLA bridge's topics in carla.launch.xml).

mod common;

use common::options;
use edgefusion_launch::{
    read_launch_file, LaunchPlan, NodeLaunch, NodeParameter, ParamValue, Remapping,
};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// Reads a launch file of the repository with no ament prefix: `$(find-pkg-share edgefusion)`
/// is the checkout (the fallback of the default resolver).
fn plan(file: &str, args: &[(&str, &str)]) -> LaunchPlan {
    let path = repo().join("launch").join(file);
    read_launch_file(&path, &options(args, &[], Vec::new())).unwrap_or_else(|e| panic!("{e}"))
}

const STACK_INPUTS: [&str; 5] = [
    "/sensing/lidar/points",
    "/sensing/camera/front/image_raw",
    "/sensing/camera/front/image_raw/compressed",
    "/sensing/camera/front/camera_info",
    "/localization/odometry",
];

fn check_nodes(plan: &LaunchPlan, sim_time: bool, namespace: &str, inputs_to: [&str; 5]) {
    let nodes: Vec<(&str, &str, Option<&str>)> = plan
        .nodes
        .iter()
        .map(|n| (n.package.as_str(), n.executable.as_str(), n.name.as_deref()))
        .collect();
    assert_eq!(
        nodes,
        [
            ("edgefusion", "edgefusion_camera", Some("camera")),
            ("edgefusion", "edgefusion_lidar", Some("lidar")),
            ("edgefusion", "edgefusion_v2x", Some("v2x")),
            ("edgefusion", "edgefusion_fusion", Some("fusion")),
        ]
    );
    let remaps: Vec<Remapping> = STACK_INPUTS
        .iter()
        .zip(inputs_to)
        .map(|(from, to)| Remapping { from: from.to_string(), to: to.to_string() })
        .collect();
    for node in &plan.nodes {
        let name = node.name.as_deref().unwrap_or_default();
        let params_file = repo().join(format!("calib/params/{name}.yaml"));
        let mut expected = vec![
            NodeParameter::File { path: params_file },
            NodeParameter::Value { name: "use_sim_time".into(), value: ParamValue::Bool(sim_time) },
        ];
        if name == "fusion" {
            // After the file, so the launch argument wins over the file's model_path.
            expected.push(NodeParameter::Value {
                name: "model_path".into(),
                value: ParamValue::String("target/models/fusion_int8.pt".into()),
            });
        }
        assert_eq!(node.parameters, expected, "{name}");
        assert_eq!(node.remappings, remaps, "{name}");
        assert_eq!(node.namespace, namespace, "{name}");
        assert_eq!(node.output.as_deref(), Some("screen"));
        assert!(node.source.file.ends_with("launch/vehicle.launch.xml"), "{:?}", node.source);
        // The topics the node really uses, resolved as rcl would.
        let names = node.node_names(name).unwrap();
        for (input, to) in STACK_INPUTS.iter().zip(inputs_to) {
            assert_eq!(names.resolve_topic(input).unwrap(), to, "{name}: {input}");
        }
        assert_eq!(names.resolve_topic("/perception/objects").unwrap(), "/perception/objects");
    }
}

fn line_of(node: &NodeLaunch, path: &Path) -> u32 {
    let text = std::fs::read_to_string(path).unwrap();
    let exec = format!("exec=\"{}\"", node.executable);
    1 + text.lines().position(|l| l.contains(&exec)).unwrap() as u32
}

#[test]
fn vehicle_launch_xml_with_defaults() {
    let plan = plan("vehicle.launch.xml", &[]);
    check_nodes(&plan, false, "/", STACK_INPUTS);
    let file = repo().join("launch/vehicle.launch.xml");
    for node in &plan.nodes {
        assert_eq!(node.source.line, line_of(node, &file));
    }
}

#[test]
fn vehicle_launch_xml_with_arguments() {
    let plan = plan(
        "vehicle.launch.xml",
        &[("use_sim_time", "true"), ("namespace", "car1"), ("lidar_topic", "/velodyne_points")],
    );
    let mut inputs = STACK_INPUTS;
    inputs[0] = "/velodyne_points";
    check_nodes(&plan, true, "/car1", inputs);
}

#[test]
fn carla_launch_xml_remaps_the_bridge_topics_onto_the_stack() {
    let plan = plan("carla.launch.xml", &[]);
    check_nodes(
        &plan,
        true,
        "/",
        [
            "/carla/ego_vehicle/lidar",
            "/carla/ego_vehicle/rgb_front/image",
            // The bridge has no compressed image: the stack's own name, unused.
            "/sensing/camera/front/image_raw/compressed",
            "/carla/ego_vehicle/rgb_front/camera_info",
            "/carla/ego_vehicle/odometry",
        ],
    );
    let other = plan_with_role("hero");
    assert_eq!(other.nodes[0].remappings[0].to, "/carla/hero/lidar");
}

fn plan_with_role(role: &str) -> LaunchPlan {
    plan("carla.launch.xml", &[("ego_vehicle", role)])
}
