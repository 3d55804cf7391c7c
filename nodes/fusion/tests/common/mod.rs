//! Shared by the integration tests: KITTI frame 000008 as messages, and the exported modules
//! (loaded once per test binary).
#![allow(dead_code)]

use edgefusion_fusion::{FusionModel, FusionNode, FusionParams, ModelOptions, Output};
use edgefusion_kitti::{KittiFrame, KittiSequence, SequenceOptions};
use edgefusion_msgs::edgefusion::DetectedObjectArray;
use edgefusion_msgs::sensor_msgs::{Image, PointCloud2};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// KITTI 000008 converted by edgefusion-kitti (cloud in lidar_top, image rgb8 1242x375,
/// camera_info with P2, static tf base_link -> lidar_top -> camera_front_optical, labels).
pub fn kitti_000008() -> Option<KittiFrame> {
    let dir = edgefusion_testdata::fixture("kitti/000008")?;
    let sequence = KittiSequence::open(&dir, SequenceOptions::default()).expect("open 000008");
    Some(sequence.frame(0).expect("convert 000008"))
}

/// The exported module of `variant`, loaded once per test binary; None (skip) when absent.
pub fn model(variant: &str) -> Option<Arc<FusionModel>> {
    static MODELS: OnceLock<Mutex<HashMap<String, Arc<FusionModel>>>> = OnceLock::new();
    let path = edgefusion_testdata::model(variant)?;
    let mut models = MODELS.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    let model = models.entry(variant.to_string()).or_insert_with(|| {
        Arc::new(FusionModel::load(&path, &ModelOptions::default()).expect("load exported model"))
    });
    Some(model.clone())
}

/// A node around `model` that has seen 000008's camera_info and static transforms. There is
/// no lidar node in these tests: frames do not wait for its grid (scene.lidar_wait_ms 0).
pub fn node(model: Option<Arc<FusionModel>>, frame: &KittiFrame) -> FusionNode {
    let params = FusionParams { lidar_wait_ns: 0, ..Default::default() };
    let mut node = FusionNode::with_model(params, model);
    node.on_camera_info(frame.camera_info.as_ref().expect("camera_info"), Default::default())
        .unwrap();
    node.on_tf_static(frame.static_tf.as_ref().expect("static tf")).unwrap();
    node
}

/// IoU of two x_min, y_min, x_max, y_max boxes.
pub fn iou(a: [f32; 4], b: [f32; 4]) -> f32 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = w * h;
    let area = |r: [f32; 4]| (r[2] - r[0]) * (r[3] - r[1]);
    inter / (area(a) + area(b) - inter)
}

/// Feeds an image, then a cloud of the same stamp (node time = that stamp): the outputs of
/// the frame they make.
pub fn serve(node: &mut FusionNode, image: Arc<Image>, cloud: Arc<PointCloud2>) -> Vec<Output> {
    let now = cloud.header.stamp;
    let mut out = node.on_image(image, now).unwrap();
    out.extend(node.on_cloud(cloud, now).unwrap());
    out
}

/// The `/perception/objects` arrays among `outputs`.
pub fn detections(outputs: &[Output]) -> Vec<&DetectedObjectArray> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Objects(objects) => Some(objects),
            _ => None,
        })
        .collect()
}

/// The `/perception/tracked_objects` arrays among `outputs`.
pub fn tracked(outputs: &[Output]) -> Vec<&DetectedObjectArray> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Tracked(objects) => Some(objects),
            _ => None,
        })
        .collect()
}

/// The one frame's detections among `outputs`.
pub fn one_frame(outputs: &[Output]) -> DetectedObjectArray {
    let frames = detections(outputs);
    assert_eq!(frames.len(), 1, "one frame of detections in {outputs:?}");
    frames[0].clone()
}
