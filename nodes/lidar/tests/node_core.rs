//! The node as the runtimes drive it (`edgefusion_node::NodeCore`): KITTI 000008's `/tf_static`
//! and cloud (through the KITTI converter) as type-erased messages on the input ports; the
//! cleaned cloud and the grid come out on their output ports, and the report counts it all.

mod common;

use edgefusion_lidar::ports::{CLOUD, GRID, NO_GROUND, OBJECTS, TF_STATIC};
use edgefusion_lidar::{LidarNode, LidarParams};
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::edgefusion::DetectedObjectArray;
use edgefusion_msgs::nav_msgs::OccupancyGrid;
use edgefusion_msgs::registry::AnyMessage;
use edgefusion_msgs::sensor_msgs::PointCloud2;
use edgefusion_node::{topics, NodeCore};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The node behind the runtimes' interface, as a runtime holds it.
fn core() -> Box<dyn NodeCore> {
    Box::new(LidarNode::new(LidarParams::default()).unwrap())
}

/// Feeds one message and returns what was published, by output port.
fn feed(core: &mut dyn NodeCore, input: usize, message: AnyMessage) -> Vec<(usize, AnyMessage)> {
    edgefusion_node::feed(core, input, &message, Time::default())
}

#[test]
fn interface_names_the_stack_topics_and_ros_types() {
    let core = core();
    assert_eq!(core.name(), "lidar");
    let interface = core.interface();
    let ports = |ports: &[edgefusion_node::Port]| {
        ports.iter().map(|p| (p.topic.clone(), p.type_name)).collect::<Vec<_>>()
    };
    assert_eq!(
        ports(&interface.inputs),
        [
            ("/tf_static".to_string(), "tf2_msgs/msg/TFMessage"),
            ("/sensing/lidar/points".to_string(), "sensor_msgs/msg/PointCloud2"),
        ]
    );
    assert_eq!(
        ports(&interface.outputs),
        [
            (topics::LIDAR_NO_GROUND.to_string(), "sensor_msgs/msg/PointCloud2"),
            (topics::OCCUPANCY_GRID.to_string(), "nav_msgs/msg/OccupancyGrid"),
            (topics::LIDAR_OBJECTS.to_string(), "edgefusion_msgs/msg/DetectedObjectArray"),
        ]
    );
    assert_eq!((interface.inputs[TF_STATIC].topic.as_str(), CLOUD), (topics::TF_STATIC, 1));
}

#[test]
fn kitti_frame_through_the_node_core_publishes_cloud_grid_and_objects() {
    let Some(frame) = common::frame_000008() else { return };
    let cloud = frame.cloud.clone().unwrap();
    let tf = frame.static_tf.clone().unwrap();
    let mut core = core();

    // Before /tf_static the cloud cannot be placed: nothing published, one problem counted.
    assert!(feed(core.as_mut(), CLOUD, Arc::new(cloud.clone())).is_empty());
    assert!(feed(core.as_mut(), TF_STATIC, Arc::new(tf.clone())).is_empty());
    let published = feed(core.as_mut(), CLOUD, Arc::new(cloud.clone()));

    let ports: Vec<usize> = published.iter().map(|(port, _)| *port).collect();
    assert_eq!(ports, [NO_GROUND, GRID, OBJECTS]);
    let no_ground = published[0].1.clone().downcast::<PointCloud2>().unwrap();
    let grid = published[1].1.clone().downcast::<OccupancyGrid>().unwrap();
    let objects = published[2].1.clone().downcast::<DetectedObjectArray>().unwrap();
    for header in [&no_ground.header, &grid.header, &objects.header] {
        assert_eq!((header.stamp, header.frame_id.as_str()), (cloud.header.stamp, "base_link"));
    }
    assert_eq!((grid.info.width, grid.info.height), (400, 400));
    // The same as the core's own method gives for this cloud.
    let mut direct = LidarNode::new(LidarParams::default()).unwrap();
    direct.on_tf_static(&tf).unwrap();
    let expected = direct.on_cloud(&cloud).unwrap();
    assert_eq!((*no_ground).clone(), expected.cloud);
    assert_eq!((*grid).clone(), expected.grid);
    assert_eq!(Some((*objects).clone()), expected.objects);
    assert!(!objects.objects.is_empty());

    // A message of another type on a port, and a port the node does not have.
    assert!(feed(core.as_mut(), CLOUD, Arc::new(tf)).is_empty());
    assert!(feed(core.as_mut(), 7, Arc::new(cloud.clone())).is_empty());

    let report = core.report();
    let count = |name: &str| report.counters.get(name).copied().unwrap_or(0);
    assert_eq!(count("clouds_received"), 2);
    assert_eq!(count("tf_static_received"), 1);
    assert_eq!(count("outputs"), 1);
    // 000008's cloud (fixtures README: lidar.bin is 275,808 bytes = 17,238 points).
    assert_eq!(count("points_in"), 17_238);
    assert_eq!(count("obstacle_points"), u64::from(no_ground.width * no_ground.height));
    assert_eq!(count("clusters_published"), objects.objects.len() as u64);
    let problems: BTreeMap<&str, u64> =
        report.problems.iter().map(|(name, n)| (name.as_str(), *n)).collect();
    assert_eq!(problems, BTreeMap::from([("transform_unavailable", 1), ("wrong_message_type", 2)]));
    for stage in ["transform", "crop", "voxel", "ground", "grid", "cluster", "output", "total"] {
        let summary = report.latency.get(stage).unwrap_or_else(|| panic!("no {stage} latency"));
        assert_eq!(summary.samples, 1, "{stage}");
    }
}
