//! calib/camera/kitti_000008.yaml: made from the fixture's KITTI calib.txt (the reference), it
//! regenerates byte for byte and describes image_2 exactly as the KITTI converter does.

mod common;

use common::*;
use edgefusion_camera::calibration::kitti_calibration_file_for;
use edgefusion_camera::{CameraCalibration, CameraNode, CameraParams, Counter};
use edgefusion_msgs::std_msgs::Header;
use std::path::PathBuf;
use std::sync::Arc;

fn committed() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../calib/camera/kitti_000008.yaml"))
}

#[test]
fn the_committed_file_regenerates_byte_for_byte() {
    let Some(dir) = frame_dir() else { return };
    let made = kitti_calibration_file_for(&dir.join("calib.txt"), &dir.join("image.png")).unwrap();
    let file = std::fs::read_to_string(committed()).unwrap();
    assert!(made == file, "regenerate calib/camera/kitti_000008.yaml (see its header)");
}

#[test]
fn its_camera_info_is_the_kitti_converters() {
    let Some(reference) = kitti_camera_info() else { return };
    let calibration = CameraCalibration::from_yaml_file(committed()).unwrap();
    assert_eq!(calibration.to_camera_info(reference.header.clone()), reference);
    // P2 from calib.txt, digit for digit.
    assert_eq!(calibration.p[3], 44.85728);
    assert_eq!(calibration.p[11], 2.745884e-3);
    assert!(calibration.is_rectified());
    // And the rectified CameraInfo is the same (nothing to undo).
    assert_eq!(calibration.rectified_camera_info(reference.header.clone()), reference);
}

#[test]
fn a_node_started_with_the_file_ignores_the_topic_and_passes_kitti_images() {
    let (Some(image), Some(info)) = (kitti_image(), kitti_camera_info()) else { return };
    let params = CameraParams {
        calibration_file: Some(committed()),
        frame_id: "cam".into(),
        ..Default::default()
    };
    let mut node = CameraNode::new(params).unwrap();
    let mut other = info.clone();
    other.width = 640;
    node.on_camera_info(&other).unwrap();
    let out = node.on_image(&Arc::new(image.clone())).unwrap();
    assert!(out.image.data == image.data && !out.remapped);
    assert_eq!(out.image.header, Header::new(STAMP, "cam"));
    assert_eq!(
        out.info,
        edgefusion_kitti::convert::camera_info(&kitti_calibration().unwrap(), 1242, 375, STAMP)
            .tap_frame("cam")
    );
    assert_eq!(node.stats().get(Counter::CameraInfoIgnored), 1);
}

trait TapFrame {
    fn tap_frame(self, frame: &str) -> Self;
}

impl TapFrame for edgefusion_msgs::sensor_msgs::CameraInfo {
    fn tap_frame(mut self, frame: &str) -> Self {
        self.header.frame_id = frame.into();
        self
    }
}

#[test]
fn a_bad_calibration_file_stops_the_start_naming_file_and_field() {
    let dir = std::env::temp_dir().join(format!("edgefusion-camera-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(committed()).unwrap();
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, text.replace("data: [1, 0, 0, 0, 1, 0, 0, 0, 1]", "data: [1, 0, 0]"))
        .unwrap();
    let e =
        CameraNode::new(CameraParams { calibration_file: Some(bad.clone()), ..Default::default() })
            .err()
            .unwrap();
    let message = e.to_string();
    assert!(
        message.contains(&bad.display().to_string())
            && message.contains("'rectification_matrix.data'"),
        "{message}"
    );
    let fisheye = dir.join("fisheye.yaml");
    let text = text
        .replace("plumb_bob", "equidistant")
        .replace("cols: 5\n  data: [0, 0, 0, 0, 0]", "cols: 4\n  data: [0.1, 0, 0, 0]");
    std::fs::write(&fisheye, &text).unwrap();
    let e = CameraNode::new(CameraParams {
        calibration_file: Some(fisheye.clone()),
        ..Default::default()
    })
    .err()
    .unwrap();
    assert!(e.to_string().contains("equidistant"), "{e}");
    let small = CameraParams {
        calibration_file: Some(committed()),
        max_pixels: 1000,
        ..Default::default()
    };
    let e = CameraNode::new(small).err().unwrap();
    assert!(e.to_string().contains("1242 x 375 exceeds max_pixels = 1000"), "{e}");
    // Without rectification the same file is fine.
    assert!(CameraNode::new(CameraParams {
        calibration_file: Some(fisheye),
        rectify: false,
        ..Default::default()
    })
    .is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}
