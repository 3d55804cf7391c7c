//! The node as the runtimes drive it (`edgefusion_node::NodeCore`): KITTI's CameraInfo and
//! image as type-erased messages on the input ports; the rgb8 image and its CameraInfo come
//! out on the output ports, and the report counts it all.

mod common;

use common::*;
use edgefusion_camera::ports::{CAMERA_INFO, CAMERA_INFO_RECT, COMPRESSED, IMAGE, IMAGE_RECT};
use edgefusion_camera::{CameraNode, CameraParams};
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::registry::AnyMessage;
use edgefusion_msgs::sensor_msgs::{CameraInfo, Image};
use edgefusion_node::{topics, NodeCore};
use std::sync::Arc;

fn core() -> Box<dyn NodeCore> {
    Box::new(CameraNode::new(CameraParams::default()).unwrap())
}

/// Feeds one message and returns what was published, by output port.
fn feed(core: &mut dyn NodeCore, input: usize, message: AnyMessage) -> Vec<(usize, AnyMessage)> {
    edgefusion_node::feed(core, input, &message, Time::default())
}

#[test]
fn interface_names_the_stack_topics_and_ros_types() {
    let core = core();
    assert_eq!(core.name(), "camera");
    let interface = core.interface();
    let ports = |ports: &[edgefusion_node::Port]| {
        ports.iter().map(|p| (p.topic.clone(), p.type_name)).collect::<Vec<_>>()
    };
    assert_eq!(
        ports(&interface.inputs),
        [
            (topics::CAMERA_INFO.to_string(), "sensor_msgs/msg/CameraInfo"),
            (topics::CAMERA_IMAGE.to_string(), "sensor_msgs/msg/Image"),
            (topics::CAMERA_IMAGE_COMPRESSED.to_string(), "sensor_msgs/msg/CompressedImage"),
        ]
    );
    assert_eq!(
        ports(&interface.outputs),
        [
            (topics::CAMERA_IMAGE_RECT.to_string(), "sensor_msgs/msg/Image"),
            (topics::CAMERA_INFO_RECT.to_string(), "sensor_msgs/msg/CameraInfo"),
        ]
    );
    assert_eq!((CAMERA_INFO, IMAGE, COMPRESSED, IMAGE_RECT, CAMERA_INFO_RECT), (0, 1, 2, 0, 1));
}

#[test]
fn distorted_camera_is_rectified_once_per_calibration_and_reported() {
    let (Some(image), Some(info)) = (kitti_image(), kitti_camera_info()) else { return };
    let mut core = core();
    // A lens with distortion and a projection that differs from K: there is work to do.
    let mut distorted = info.clone();
    distorted.d = vec![-0.37, 0.2, 1e-3, -2e-4, -0.07];
    distorted.p[0] = 650.0;
    distorted.p[5] = 650.0;
    assert!(feed(core.as_mut(), CAMERA_INFO, Arc::new(distorted.clone())).is_empty());
    for _ in 0..2 {
        let out = feed(core.as_mut(), IMAGE, Arc::new(image.clone()));
        assert_eq!(
            out.iter().map(|(port, _)| *port).collect::<Vec<_>>(),
            [IMAGE_RECT, CAMERA_INFO_RECT]
        );
        let rect = out[0].1.clone().downcast::<Image>().unwrap();
        let rect_info = out[1].1.clone().downcast::<CameraInfo>().unwrap();
        assert_eq!(
            (rect.width, rect.height, rect.step, rect.encoding.as_str()),
            (1242, 375, 3726, "rgb8")
        );
        assert_eq!(rect.header, image.header);
        assert_ne!(rect.data, image.data, "the pixels moved");
        assert_eq!(rect_info.header, image.header);
        assert_eq!(rect_info.d, vec![0.0; 5]);
        assert_eq!(rect_info.k, [650.0, 0.0, info.p[2], 0.0, 650.0, info.p[6], 0.0, 0.0, 1.0]);
        assert_eq!(rect_info.p, distorted.p);
    }
    // A corrupt message in between does not stop the next one.
    let bad = Arc::new(Image { step: 1, ..image.clone() });
    assert!(feed(core.as_mut(), IMAGE, bad).is_empty());
    assert!(feed(core.as_mut(), CAMERA_INFO, Arc::new(image.clone())).is_empty(), "wrong type");
    assert_eq!(feed(core.as_mut(), IMAGE, Arc::new(image.clone())).len(), 2);
    let report = core.report();
    let count = |name: &str| report.counters.get(name).copied().unwrap_or(0);
    assert_eq!(
        (count("images_received"), count("outputs"), count("remapped"), count("maps_built")),
        (4, 3, 3, 1)
    );
    assert_eq!(report.problems.keys().collect::<Vec<_>>(), ["bad_step", "wrong_message_type"]);
    for stage in ["decode", "rectify", "total"] {
        let summary = report.latency.get(stage).unwrap_or_else(|| panic!("no {stage} latency"));
        assert_eq!(summary.samples, 3, "{stage}");
        assert!(summary.p50_ms <= summary.p99_ms);
    }
    // A new calibration builds a new map.
    distorted.d[0] = -0.3;
    feed(core.as_mut(), CAMERA_INFO, Arc::new(distorted));
    assert_eq!(feed(core.as_mut(), IMAGE, Arc::new(image)).len(), 2);
    assert_eq!(core.report().counters.get("maps_built"), Some(&2));
}
