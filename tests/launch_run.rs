//! `edgefusion run --launch`: a ROS 2 launch file's nodes run in one process with the names,
//! namespaces, parameters and remaps `ros2 launch` gives them.

mod common;
use common::{convert, edgefusion, path, stderr};
use edgefusion_bag::{BagReader, ReadOptions};
use edgefusion_msgs::nav_msgs::OccupancyGrid;
use edgefusion_msgs::Message;

const LAUNCH: &str = r#"<launch>
  <arg name="vehicle" default="car1"/>
  <group>
    <push-ros-namespace namespace="$(var vehicle)"/>
    <node pkg="edgefusion" exec="edgefusion_lidar" name="front_lidar">
      <param from="$(find-pkg-share edgefusion)/calib/params/lidar.yaml"/>
      <param name="output_frame" value="base_link"/>
      <remap from="/perception/occupancy_grid" to="grid"/>
    </node>
    <node pkg="edgefusion" exec="edgefusion_fusion" name="fusion">
      <param name="score_threshold" value="0.6"/>
    </node>
  </group>
</launch>
"#;

#[test]
fn a_launch_files_nodes_run_in_process_under_their_names_and_remaps() {
    let Some(frame) = edgefusion_testdata::fixture("kitti/000008") else { return };
    let dir = tempfile::tempdir().unwrap();
    let bag = convert(&frame, dir.path(), "frame");
    // In the repository's launch/ so that $(find-pkg-share edgefusion) finds this checkout.
    let launch = tempfile::Builder::new()
        .suffix(".launch.xml")
        .tempfile_in(concat!(env!("CARGO_MANIFEST_DIR"), "/launch"))
        .unwrap();
    std::fs::write(launch.path(), LAUNCH).unwrap();
    let recording = dir.path().join("out");
    let out = edgefusion(&[
        "run",
        "--bag",
        path(&bag),
        "--launch",
        path(launch.path()),
        "--record",
        path(&recording),
        "vehicle:=car7",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = stderr(&out);
    // Names and namespaces from the launch file and its argument; the lidar's grid remapped
    // to a relative name, which resolves in its namespace; the fusion node's absolute output
    // stays where it is.
    assert!(summary.contains("/car7/front_lidar: published      1 on /car7/grid"), "{summary}");
    let no_ground = "/car7/front_lidar: published      1 on /sensing/lidar/no_ground/points";
    assert!(summary.contains(no_ground), "{summary}");
    assert!(summary.contains("/car7/fusion: published      1 on /perception/objects"), "{summary}");
    assert!(summary.contains("/car7/front_lidar: errors: none"), "{summary}");

    let reader = BagReader::open(&recording).unwrap();
    let read = ReadOptions { topics: Some(vec!["/car7/grid".into()]), ..Default::default() };
    let grids: Vec<OccupancyGrid> =
        reader.messages(read).map(|m| OccupancyGrid::decode(&m.unwrap().data).unwrap()).collect();
    assert_eq!(grids.len(), 1);
    assert_eq!(grids[0].header.frame_id, "base_link");
    assert!(grids[0].data.contains(&100) && grids[0].data.contains(&0));
}

#[test]
fn an_unknown_element_or_node_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let bag = dir.path().join("bag");
    std::fs::create_dir(&bag).unwrap();
    let launch = dir.path().join("bad.launch.xml");
    std::fs::write(&launch, "<launch>\n  <node pkg=\"edgefusion\" exec=\"edgefusion_fusion\"/>\n  <timer period=\"1\"/>\n</launch>\n").unwrap();
    let out = edgefusion(&["run", "--bag", path(&bag), "--launch", path(&launch)]);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(message.contains("bad.launch.xml:3:") && message.contains("timer"), "{message}");

    std::fs::write(
        &launch,
        "<launch>\n\n  <node pkg=\"edgefusion\" exec=\"edgefusion_radar\"/>\n</launch>\n",
    )
    .unwrap();
    let out = edgefusion(&["run", "--bag", path(&bag), "--launch", path(&launch)]);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(
        message.contains("bad.launch.xml:3: <node exec=\"edgefusion_radar\">: no such node"),
        "{message}"
    );
}

#[test]
fn the_vehicle_launch_file_runs_every_node_in_process() {
    let Some(frame) = edgefusion_testdata::fixture("kitti/000008") else { return };
    let dir = tempfile::tempdir().unwrap();
    let bag = convert(&frame, dir.path(), "frame");
    let launch = concat!(env!("CARGO_MANIFEST_DIR"), "/launch/vehicle.launch.xml");
    // No model here (the fusion node then publishes empty arrays): the launch plumbing is what
    // is tested; tests/eval.rs runs the model.
    let out = edgefusion(&["run", "--bag", path(&bag), "--launch", launch, "model_path:="]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = stderr(&out);
    for line in [
        "/lidar: published      1 on /perception/occupancy_grid",
        "/lidar: published      1 on /sensing/lidar/no_ground/points",
        "/fusion: published      1 on /perception/objects",
        "/lidar: errors: none",
        "/v2x: errors: none",
    ] {
        assert!(summary.contains(line), "{line}\n{summary}");
    }
    assert!(summary.contains("/v2x: published"), "{summary}");
}
