//! The Rust runner against the Python run recorded by `model/export`
//! (`fusion_<variant>.reference_000008.json`): the same module, the same KITTI 000008 inputs,
//! the same outputs within float tolerance. The inputs here are the stack's own messages
//! (PNG decoded by edgefusion-kitti, the `.bin` cloud viewed in place); the projection is the
//! reference's, so that the comparison tests the runner, and the node's own projection (from
//! CameraInfo and the tf tree) is compared to it separately.

mod common;

use edgefusion_fusion::convert::{self, Projection};
use edgefusion_fusion::Detections;
use nalgebra::Matrix3x4;
use serde_json::Value;

struct Reference {
    projection: Matrix3x4<f64>,
    points: usize,
    outputs: Value,
}

fn reference(variant: &str) -> Option<Reference> {
    let model = edgefusion_testdata::model(variant)?;
    let path = model.with_file_name(format!("fusion_{variant}.reference_000008.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} (written by model/export): {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).expect("reference JSON");
    let rows = doc["inputs"]["lidar_to_image"].as_array().expect("lidar_to_image rows");
    let values: Vec<f64> = rows
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
        .collect();
    let described = doc["inputs"]["points"].as_str().unwrap();
    let points = described.rsplit("N = ").next().unwrap().trim().parse().unwrap();
    assert_eq!(doc["info"]["variant"], variant);
    Some(Reference {
        projection: Matrix3x4::from_row_slice(&values),
        points,
        outputs: doc["outputs"].clone(),
    })
}

fn column(outputs: &Value, name: &str) -> Vec<f64> {
    let flat = |v: &Value| -> Vec<f64> {
        match v {
            Value::Array(items) => items
                .iter()
                .flat_map(|i| i.as_array().cloned().unwrap_or(vec![i.clone()]))
                .collect::<Vec<_>>(),
            _ => panic!("{name} is not a list"),
        }
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
    };
    flat(&outputs[name])
}

fn assert_close(name: &str, ours: &[f64], theirs: &[f64], tolerance: f64) {
    assert_eq!(
        ours.len(),
        theirs.len(),
        "{name}: {} values vs {} in the reference",
        ours.len(),
        theirs.len()
    );
    let worst = ours.iter().zip(theirs).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    eprintln!("{name}: {} values, max |difference| {worst:.3e}", ours.len());
    assert!(worst <= tolerance, "{name}: max difference {worst} > {tolerance}");
}

fn runner_matches_python(variant: &str) {
    let Some(frame) = common::kitti_000008() else { return };
    let Some(reference) = reference(variant) else { return };
    let model = common::model(variant).unwrap();
    let (image, cloud, info) = (
        frame.image.as_ref().unwrap(),
        frame.cloud.as_ref().unwrap(),
        frame.camera_info.as_ref().unwrap(),
    );
    let image_t = convert::image_tensor(image, Some(info)).unwrap();
    let points = convert::cloud_tensor(cloud).unwrap();
    assert!(points.is_zero_copy());
    assert_eq!(points.len(), reference.points);
    let projection = Projection::from_matrix(reference.projection);

    let detections = model.run(&image_t, &points, &projection).unwrap();
    let rows = detections.rows().unwrap();
    assert!(!rows.is_empty());
    let ours = |f: &dyn Fn(&edgefusion_fusion::Detection) -> Vec<f64>| -> Vec<f64> {
        rows.iter().flat_map(f).collect()
    };
    let out = &reference.outputs;
    // Integers exactly; pixels to 1e-2 px, metres and radians to 1e-3, scores to 1e-4.
    assert_close("classes", &ours(&|d| vec![d.class as f64]), &column(out, "classes"), 0.0);
    assert_close(
        "num_points",
        &ours(&|d| vec![d.num_points as f64]),
        &column(out, "num_points"),
        0.0,
    );
    assert_close("scores", &ours(&|d| vec![f64::from(d.score)]), &column(out, "scores"), 1e-4);
    let boxes_2d = ours(&|d| d.box_2d.iter().map(|v| f64::from(*v)).collect());
    assert_close("boxes_2d", &boxes_2d, &column(out, "boxes_2d"), 1e-2);
    let boxes_3d = ours(&|d| d.box_3d.iter().map(|v| f64::from(*v)).collect());
    assert_close("boxes_3d", &boxes_3d, &column(out, "boxes_3d"), 1e-3);

    // forward is exactly detect_2d then lift (how the node calls it, for per-stage timing).
    let detected = model.detect_2d(&image_t).unwrap();
    let lifted = model.lift(&detected, &points, &projection).unwrap();
    assert_eq!(Detections::from_parts(detected, lifted).rows().unwrap(), rows);
}

#[test]
fn fp32_runner_matches_the_python_run() {
    runner_matches_python("fp32");
}

#[test]
fn int8_runner_matches_the_python_run() {
    runner_matches_python("int8");
}

/// The node's own projection, P of CameraInfo times the lidar -> camera transform of the tf
/// tree (made rigid by the KITTI converter), agrees with the reference's P2 · R0 · Tr.
#[test]
fn node_projection_matches_the_reference_calibration() {
    let Some(frame) = common::kitti_000008() else { return };
    let Some(reference) = reference("fp32") else { return };
    let node = common::node(None, &frame);
    let camera_from_lidar = node.transforms().lookup("camera_front_optical", "lidar_top").unwrap();
    let ours = convert::lidar_to_image(
        frame.camera_info.as_ref().unwrap(),
        &camera_from_lidar,
        "lidar_top",
    )
    .unwrap();
    // Compare pixels of points at 5..80 m rather than matrix entries (rows have different scales).
    for (x, y, z) in [(5.0, 1.0, -1.0), (20.0, -5.0, 0.0), (80.0, 10.0, 1.0)] {
        let p = nalgebra::Vector4::new(x, y, z, 1.0);
        let (a, b) = (ours.matrix * p, reference.projection * p);
        let pixel_error =
            ((a.x / a.z - b.x / b.z).powi(2) + (a.y / a.z - b.y / b.z).powi(2)).sqrt();
        assert!(pixel_error < 0.05, "({x}, {y}, {z}) projects {pixel_error} px apart");
    }
}
