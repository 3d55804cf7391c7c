//! `edgefusion eval` and `edgefusion run` end to end: the real exported model on the KITTI frame
//! 000008 converted by the CLI, scored against KITTI's own labels; and bad input refused with a
//! message that names it.

use edgefusion_bag::{BagReader, ReadOptions};
use edgefusion_msgs::edgefusion::{DetectedObject, DetectedObjectArray};
use edgefusion_msgs::Message;
use std::path::Path;

const OBJECTS: &str = "/perception/objects";

mod common;
use common::{convert, edgefusion, path, stderr};

fn copy_dir(from: &Path, to: &Path, except: &[&str]) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if !except.iter().any(|name| entry.file_name() == *name) {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// The class of a model in the JSON report, by name.
fn class<'a>(model: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    model["classes"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()
}

#[test]
fn eval_finds_the_cars_of_kitti_000008_with_fp32_and_int8() {
    let Some(frame) = edgefusion_testdata::fixture("kitti/000008") else { return };
    let (Some(fp32), Some(int8)) =
        (edgefusion_testdata::model("fp32"), edgefusion_testdata::model("int8"))
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let bag = convert(&frame, dir.path(), "000008");
    let out = edgefusion(&[
        "eval",
        "--bag",
        path(&bag),
        "--model",
        path(&fp32),
        "--model",
        path(&int8),
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["frames"], 1);
    let models = report["models"].as_array().unwrap();
    assert_eq!(models.len(), 2);
    for (model, variant) in models.iter().zip(["fp32", "int8"]) {
        assert_eq!(model["info"]["variant"], variant, "{model}");
        assert!(model["file_bytes"].as_u64().unwrap() > 0);
        // label.txt: 6 Car lines (4 DontCare regions are not labels).
        let car = class(model, "Car");
        assert_eq!(car["labels"], 6, "{variant}");
        let ap = car["ap_2d"].as_f64().unwrap();
        assert!(ap > 0.7, "{variant}: Car AP {ap}");
        assert!(car["matched"].as_u64().unwrap() >= 5, "{variant}: {car}");
        // The near cars (within 20 m of the lidar): the lidar points make their 3D box.
        let near: Vec<&serde_json::Value> = model["matches"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["label"] == "Car" && m["range_m"].as_f64().unwrap() < 20.0)
            .collect();
        assert!(near.len() >= 3, "{variant}: {near:?}");
        for m in near {
            let error = m["centre_error_m"].as_f64().unwrap();
            assert!(error < 1.5, "{variant}: centre {error} m off: {m}");
        }
        assert!(model["latency"]["detect_2d"]["p50_ms"].as_f64().unwrap() > 0.0);
        assert_eq!(model["errors"], serde_json::json!({}), "{variant}");
    }
}

#[test]
fn run_publishes_and_records_one_objects_message_per_frame() {
    let Some(frame) = edgefusion_testdata::fixture("kitti/000008") else { return };
    let Some(fp32) = edgefusion_testdata::model("fp32") else { return };
    let dir = tempfile::tempdir().unwrap();
    // Three frames at 10 Hz: 000008 three times, so every frame must find all six cars again.
    for name in ["000000", "000001", "000002"] {
        copy_dir(&frame, &dir.path().join("sequence").join(name), &[]);
    }
    let bag = convert(&dir.path().join("sequence"), dir.path(), "input");
    let recording = dir.path().join("recording");
    let out = edgefusion(&[
        "run",
        "--bag",
        path(&bag),
        "--model",
        path(&fp32),
        "--record",
        path(&recording),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = stderr(&out);
    assert!(summary.contains("clouds_received=3 "), "{summary}");
    assert!(summary.contains("images_received=3 "), "{summary}");
    assert!(summary.contains("fusion: errors: none"), "{summary}");
    assert!(summary.contains("fusion: published      3 on /perception/objects"), "{summary}");

    let reader = BagReader::open(&recording).unwrap();
    let read = ReadOptions { topics: Some(vec![OBJECTS.into()]), ..Default::default() };
    let outputs: Vec<(i64, DetectedObjectArray)> = reader
        .messages(read)
        .map(|m| {
            let m = m.unwrap();
            (m.log_time_ns, DetectedObjectArray::decode(&m.data).unwrap())
        })
        .collect();
    let input = BagReader::open(&bag).unwrap();
    let read =
        ReadOptions { topics: Some(vec!["/sensing/lidar/points".into()]), ..Default::default() };
    let cloud_times: Vec<i64> = input.messages(read).map(|m| m.unwrap().log_time_ns).collect();
    assert_eq!(cloud_times.len(), 3);
    // One output per frame, on the bag's timeline, stamped as its frame.
    let output_times: Vec<i64> = outputs.iter().map(|(t, _)| *t).collect();
    assert_eq!(output_times, cloud_times);
    for (time, objects) in &outputs {
        assert_eq!(objects.header.stamp.as_nanos(), *time);
        let cars = objects
            .objects
            .iter()
            .filter(|o| o.classification == DetectedObject::CLASS_CAR && o.has_image_box)
            .count();
        assert!(cars >= 5, "{cars} cars at {time}: {objects:?}");
    }
    // Inputs are recorded beside the outputs.
    assert_eq!(reader.summary().topic_message_count("/sensing/camera/front/image_raw"), Some(3));
}

#[test]
fn eval_and_run_name_a_missing_bag() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no_such_bag");
    let model = dir.path().join("model.pt");
    std::fs::write(&model, b"not used").unwrap();
    for command in ["eval", "run"] {
        let out = edgefusion(&[command, "--bag", path(&missing), "--model", path(&model)]);
        assert_eq!(out.status.code(), Some(1), "{command}: {}", stderr(&out));
        assert!(stderr(&out).contains("no_such_bag"), "{command}: {}", stderr(&out));
    }
}

#[test]
fn eval_names_a_model_file_that_is_not_torchscript() {
    let Some(frame) = edgefusion_testdata::fixture("kitti/000008") else { return };
    let dir = tempfile::tempdir().unwrap();
    let bag = convert(&frame, dir.path(), "000008");
    let text = dir.path().join("weights.pt");
    std::fs::write(&text, "this is not a TorchScript archive\n").unwrap();
    let out = edgefusion(&["eval", "--bag", path(&bag), "--model", path(&text)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(message.contains("weights.pt") && message.contains("TorchScript"), "{message}");
    assert!(!message.contains("panicked"), "{message}");

    let missing = dir.path().join("fusion_missing.pt");
    let out = edgefusion(&["eval", "--bag", path(&bag), "--model", path(&missing)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("fusion_missing.pt"), "{}", stderr(&out));
}

#[test]
fn eval_names_the_topic_a_bag_lacks() {
    let Some(fixtures) = edgefusion_testdata::fixtures() else { return };
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.pt");
    std::fs::write(&model, b"checked after the bag").unwrap();
    // Velodyne scans only: no labels, no images.
    let lidar = convert(&fixtures.join("kitti_lidar_only"), dir.path(), "lidar");
    let out = edgefusion(&["eval", "--bag", path(&lidar), "--model", path(&model)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(message.contains("/perception/ground_truth") && message.contains("lidar"), "{message}");
    // Labels, but the camera image is missing.
    let frame = dir.path().join("no_image");
    copy_dir(&fixtures.join("kitti/000008"), &frame, &["image.png"]);
    let bag = convert(&frame, dir.path(), "no_image_bag");
    let out = edgefusion(&["eval", "--bag", path(&bag), "--model", path(&model)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(message.contains("/sensing/camera/front/image_raw"), "{message}");
}
