//! Bad input never panics: a typed error or an empty result, a counter per reason, and the
//! node serves the next good frame as if nothing had happened.

mod common;

use edgefusion_fusion::{
    ConvertError, Counter, FusionError, FusionModel, FusionNode, FusionParams, ModelError,
    ModelOptions,
};
use edgefusion_kitti::KittiFrame;
use edgefusion_msgs::edgefusion::DetectedObject;
use edgefusion_msgs::sensor_msgs::{Image, PointCloud2};
use std::path::{Path, PathBuf};
use std::sync::Arc;

// ---- Loading -------------------------------------------------------------------------------

#[test]
fn missing_module_file_is_an_error_for_the_runner_and_a_warning_for_the_node() {
    let path = Path::new("/nonexistent/fusion_fp32.pt");
    let e = FusionModel::load(path, &ModelOptions::default()).unwrap_err();
    assert!(matches!(&e, ModelError::Missing { path: p } if p == path), "{e}");
    assert!(e.to_string().contains("/nonexistent/fusion_fp32.pt"));

    // The node starts without the camera network and publishes empty arrays, counted.
    let params = FusionParams { model_path: Some(path.into()), ..Default::default() };
    let mut node = FusionNode::new(params).expect("a missing model file is not fatal");
    assert!(node.model().is_none());
    let Some(frame) = common::kitti_000008() else { return };
    let out = node.detect(frame.cloud.as_ref(), frame.image.as_ref()).unwrap();
    assert!(out.objects.is_empty());
    assert_eq!(out.header.frame_id, "base_link");
    assert_eq!(node.stats().get(Counter::NoModel), 1);
}

#[test]
fn a_file_that_is_not_torchscript_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.pt");
    std::fs::write(&path, "this is not a TorchScript archive").unwrap();
    let e = FusionModel::load(&path, &ModelOptions::default()).unwrap_err();
    assert!(matches!(&e, ModelError::NotTorchScript { path: p, .. } if p == &path), "{e}");
    let params = FusionParams { model_path: Some(path.clone()), ..Default::default() };
    assert!(matches!(FusionNode::new(params), Err(ModelError::NotTorchScript { .. })));
}

#[test]
fn a_module_without_the_contract_is_refused() {
    // A real TorchScript module (traced here: y = 2x) that is not a fusion module.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doubler.pt");
    let x = tch::Tensor::from_slice(&[1.0f32, 2.0]);
    let module =
        tch::CModule::create_by_tracing("Doubler", "forward", &[x], &mut |xs| vec![&xs[0] * 2.0])
            .unwrap();
    module.save(&path).unwrap();
    assert!(tch::CModule::load(&path).is_ok(), "the file is valid TorchScript");
    let e = FusionModel::load(&path, &ModelOptions::default()).unwrap_err();
    assert!(
        matches!(&e, ModelError::WrongContract { found, .. } if found.contains("no contract()")),
        "{e}"
    );
    assert!(e.to_string().contains("doubler.pt") && e.to_string().contains("edgefusion.fusion.v1"));
}

/// The venv's Python (scripts/setup makes it), for modules only TorchScript scripting can make.
fn python() -> Option<PathBuf> {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    if python.is_file() {
        return Some(python);
    }
    assert!(std::env::var_os("CI").is_none(), "CI needs the venv at {}", python.display());
    eprintln!("SKIPPED: no Python venv at {} (run scripts/setup)", python.display());
    None
}

/// Scripts a module whose `contract()` returns `contract` and whose `forward` is, by `mode`:
/// `good` (follows the contract), `columns6` (boxes_3d has 6 columns) or `alias` (boxes_2d is a
/// view of the input points). detect_2d and lift always follow the contract.
const FAKE_MODULE: &str = r#"
import sys, torch
from typing import Dict, Tuple
from torch import Tensor

class Fake(torch.nn.Module):
    def __init__(self, contract: str, mode: str):
        super().__init__()
        self.name = contract
        self.mode = mode

    @torch.jit.export
    def contract(self) -> str:
        return self.name

    @torch.jit.export
    def info(self) -> Dict[str, str]:
        return {"variant": "fp32", "network": "none"}

    @torch.jit.export
    def detect_2d(self, image: Tensor, encoding: str) -> Tuple[Tensor, Tensor, Tensor]:
        return torch.zeros(0, 4), torch.zeros(0, dtype=torch.long), torch.zeros(0)

    @torch.jit.export
    def lift(self, boxes: Tensor, classes: Tensor, points: Tensor, m: Tensor) -> Tuple[Tensor, Tensor]:
        n = boxes.shape[0]
        return torch.zeros(n, 7), torch.zeros(n, dtype=torch.long)

    def forward(self, image: Tensor, encoding: str, points: Tensor, m: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        boxes_2d = points[:2] if self.mode == "alias" else torch.zeros(2, 4)
        columns = 6 if self.mode == "columns6" else 7
        return (torch.zeros(2, columns), boxes_2d, torch.zeros(2, dtype=torch.long),
                torch.zeros(2), torch.zeros(2, dtype=torch.long))

torch.jit.script(Fake(sys.argv[2], sys.argv[3])).save(sys.argv[1])
"#;

fn scripted_module(dir: &Path, name: &str, contract: &str, mode: &str) -> Option<PathBuf> {
    let python = python()?;
    let path = dir.join(name);
    // A file, not `-c`: TorchScript scripting reads the class's source.
    let script = dir.join("fake_module.py");
    std::fs::write(&script, FAKE_MODULE).unwrap();
    let status = std::process::Command::new(python)
        .arg(&script)
        .arg(&path)
        .arg(contract)
        .arg(mode)
        .status()
        .unwrap();
    assert!(status.success(), "scripting the test module failed");
    Some(path)
}

#[test]
fn a_module_with_another_contract_or_wrong_outputs_is_refused_naming_what() {
    let dir = tempfile::tempdir().unwrap();
    let Some(other) = scripted_module(dir.path(), "other.pt", "someone.else.v2", "good") else {
        return;
    };
    let e = FusionModel::load(&other, &ModelOptions::default()).unwrap_err();
    assert!(
        matches!(&e, ModelError::WrongContract { found, .. } if found.contains("someone.else.v2")),
        "{e}"
    );

    let bad = scripted_module(dir.path(), "bad.pt", "edgefusion.fusion.v1", "columns6").unwrap();
    let e = FusionModel::load(&bad, &ModelOptions::default()).unwrap_err();
    match &e {
        ModelError::BadOutput { method, output, found, .. } => {
            assert_eq!((*method, output.as_str()), ("forward", "boxes_3d"));
            assert!(found.contains("[2, 6]"), "{e}");
        }
        other => panic!("expected BadOutput, got {other}"),
    }

    // A view of an input would outlive the borrowed message buffer: refused.
    let alias = scripted_module(dir.path(), "alias.pt", "edgefusion.fusion.v1", "alias").unwrap();
    let e = FusionModel::load(&alias, &ModelOptions::default()).unwrap_err();
    assert!(
        matches!(e, ModelError::OutputAliasesInput { method: "forward", output: "boxes_2d", .. }),
        "{e}"
    );

    let good = scripted_module(dir.path(), "good.pt", "edgefusion.fusion.v1", "good").unwrap();
    let model = FusionModel::load(&good, &ModelOptions::default()).expect("a conforming module");
    assert_eq!(model.variant(), "fp32");
}

#[test]
fn unknown_devices_are_refused_and_missing_cuda_falls_back_to_the_cpu() {
    assert!(matches!(
        edgefusion_fusion::model::parse_device("tpu"),
        Err(ModelError::InvalidDevice { .. })
    ));
    if !tch::Cuda::is_available() {
        assert_eq!(edgefusion_fusion::model::parse_device("cuda:1").unwrap(), tch::Device::Cpu);
    }
}

// ---- Inputs ----------------------------------------------------------------------------------

fn good_frame_is_served(node: &mut FusionNode, frame: &KittiFrame, with_model: bool) {
    node.on_camera_info(frame.camera_info.as_ref().unwrap(), Default::default()).unwrap();
    let image = Arc::new(frame.image.clone().unwrap());
    let out = common::one_frame(&common::serve(node, image, frame_cloud(frame)));
    if with_model {
        let supported = out
            .objects
            .iter()
            .filter(|o| o.classification == DetectedObject::CLASS_CAR && o.num_points > 0)
            .count();
        assert!(supported >= 4, "the next good frame is served: {supported} lidar-supported cars");
    }
}

fn with_image(frame: &KittiFrame, change: impl FnOnce(&mut Image)) -> Arc<Image> {
    let mut image = frame.image.clone().unwrap();
    change(&mut image);
    Arc::new(image)
}

fn frame_cloud(frame: &KittiFrame) -> Arc<PointCloud2> {
    Arc::new(frame.cloud.clone().unwrap())
}

fn with_cloud(frame: &KittiFrame, change: impl FnOnce(&mut PointCloud2)) -> PointCloud2 {
    let mut cloud = frame.cloud.clone().unwrap();
    change(&mut cloud);
    cloud
}

fn set_x(cloud: &mut PointCloud2, point: usize, value: f32) {
    let at = point * cloud.point_step as usize;
    cloud.data[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

fn get_x(cloud: &PointCloud2, point: usize) -> f32 {
    let at = point * cloud.point_step as usize;
    f32::from_le_bytes(cloud.data[at..at + 4].try_into().unwrap())
}

/// Image and cloud errors found before the model runs: they hold with or without a model.
fn check_image_and_cloud_errors(node: &mut FusionNode, frame: &KittiFrame, with_model: bool) {
    let yuv = with_image(frame, |i| i.encoding = "yuv422".into());
    let now = frame.image.as_ref().unwrap().header.stamp;
    let e = node.on_image(yuv, now).unwrap_err();
    assert!(
        matches!(&e, FusionError::Convert(ConvertError::UnsupportedEncoding { encoding }) if encoding == "yuv422"),
        "{e}"
    );
    assert_eq!(node.stats().get(Counter::UnsupportedEncoding), 1);
    good_frame_is_served(node, frame, with_model);

    // 1000 of 1242 columns: a valid image, but not the calibrated camera's.
    let cropped = with_image(frame, |i| {
        i.data = i.data.chunks(i.step as usize).flat_map(|row| row[..3000].to_vec()).collect();
        i.width = 1000;
        i.step = 3000;
    });
    let e = node.on_image(cropped, now).unwrap_err();
    assert!(
        matches!(
            e,
            FusionError::Convert(ConvertError::ImageSizeMismatch {
                image_width: 1000,
                info_width: 1242,
                ..
            })
        ),
        "{e}"
    );
    assert_eq!(node.stats().get(Counter::ImageSizeMismatch), 1);
    good_frame_is_served(node, frame, with_model);

    let short = with_image(frame, |i| i.data.truncate(1000));
    assert!(matches!(
        node.on_image(short, now),
        Err(FusionError::Convert(ConvertError::ImageDataLength { .. }))
    ));
    assert_eq!(node.stats().get(Counter::BadImage), 1);

    let truncated = with_cloud(frame, |c| c.data.truncate(c.data.len() - 10));
    let e = node.on_cloud(Arc::new(truncated), now).unwrap_err();
    assert!(e.to_string().contains("bytes"), "{e}");
    assert_eq!(node.stats().get(Counter::BadCloud), 1);
    let no_z = with_cloud(frame, |c| c.fields.retain(|f| f.name != "z"));
    let e = node.on_cloud(Arc::new(no_z), now).unwrap_err();
    assert!(e.to_string().contains("'z'"), "{e}");
    assert_eq!(node.stats().get(Counter::BadCloud), 2);
    good_frame_is_served(node, frame, with_model);
}

#[test]
fn image_and_cloud_errors_without_a_model() {
    let Some(frame) = common::kitti_000008() else { return };
    let mut node = common::node(None, &frame);
    check_image_and_cloud_errors(&mut node, &frame, false);
    assert_eq!(node.stats().get(Counter::NoModel), 3);
}

#[test]
fn bad_inputs_with_the_fp32_model() {
    let Some(frame) = common::kitti_000008() else { return };
    let Some(model) = common::model("fp32") else { return };
    let mut node = common::node(Some(model), &frame);
    check_image_and_cloud_errors(&mut node, &frame, true);
    let cloud = frame.cloud.as_ref().unwrap();
    let image = frame.image.as_ref();

    // NaN rows are ignored (and counted); the rest of the cloud still supports the cars.
    let n = cloud.width as usize;
    let with_nans = with_cloud(&frame, |c| (0..n).step_by(10).for_each(|i| set_x(c, i, f32::NAN)));
    let out = node.detect(Some(&with_nans), image).unwrap();
    assert_eq!(node.stats().get(Counter::NonFinitePoints), n.div_ceil(10) as u64);
    assert!(out.objects.iter().filter(|o| o.num_points > 0).count() >= 4);

    // Zero points: camera-only boxes, counted.
    let empty = with_cloud(&frame, |c| {
        c.width = 0;
        c.row_step = 0;
        c.data.clear();
    });
    let out = node.detect(Some(&empty), image).unwrap();
    assert_eq!(node.stats().get(Counter::EmptyCloud), 1);
    assert!(!out.objects.is_empty(), "the camera still sees the cars");
    assert!(out
        .objects
        .iter()
        .all(|o| o.num_points == 0 && o.modalities == DetectedObject::MODALITY_CAMERA));

    // All points behind the camera (x mirrored): an empty lift, a warning and a counter.
    let behind = with_cloud(&frame, |c| (0..n).for_each(|i| set_x(c, i, -get_x(cloud, i).abs())));
    let out = node.detect(Some(&behind), image).unwrap();
    assert_eq!(node.stats().get(Counter::AllPointsBehindCamera), 1);
    assert!(out.objects.iter().all(|o| o.num_points == 0));
    good_frame_is_served(&mut node, &frame, true);

    // A camera_info with a zero P makes a singular projection.
    let mut uncalibrated = frame.camera_info.clone().unwrap();
    uncalibrated.p = [0.0; 12];
    node.on_camera_info(&uncalibrated, Default::default()).unwrap();
    let e = node.detect(Some(cloud), image).unwrap_err();
    assert!(matches!(e, FusionError::Convert(ConvertError::SingularProjection { .. })), "{e}");
    assert_eq!(node.stats().get(Counter::SingularProjection), 1);
    let mut broken = frame.camera_info.clone().unwrap();
    broken.p[3] = f64::NAN;
    assert!(node.on_camera_info(&broken, Default::default()).is_err());
    assert_eq!(node.stats().get(Counter::BadCameraInfo), 1);
    good_frame_is_served(&mut node, &frame, true);

    // A cloud in a frame the tf tree does not know.
    let elsewhere = with_cloud(&frame, |c| c.header.frame_id = "radar".into());
    let e = node.detect(Some(&elsewhere), image).unwrap_err();
    assert!(e.to_string().contains("'radar'"), "{e}");
    assert_eq!(node.stats().get(Counter::TransformUnavailable), 1);

    // The lidar falls silent: 9 s after the last cloud an image goes on alone (camera-only
    // boxes, counted). A cloud 1 s after that image is too far from it: the cloud waits for a
    // nearer image, then goes on lidar only when the inputs end (empty detections, counted).
    let alone = with_image(&frame, |i| i.header.stamp.sec += 9);
    let mut later = cloud.clone();
    later.header.stamp.sec += 10;
    let now = later.header.stamp;
    let camera_only = common::one_frame(&node.on_image(alone, now).unwrap());
    assert_eq!(node.stats().get(Counter::LidarMissing), 1);
    assert!(
        camera_only
            .objects
            .iter()
            .filter(|o| o.classification == DetectedObject::CLASS_CAR)
            .count()
            >= 4
    );
    assert!(camera_only.objects.iter().all(|o| o.modalities == DetectedObject::MODALITY_CAMERA));
    assert!(node.on_cloud(Arc::new(later), now).unwrap().is_empty(), "the cloud waits");
    let out = node.on_end(now);
    assert!(common::one_frame(&out).objects.is_empty());
    assert_eq!(node.stats().get(Counter::CameraMissing), 1);
}

#[test]
fn no_image_or_camera_info_yet_gives_empty_outputs() {
    let Some(frame) = common::kitti_000008() else { return };
    let Some(model) = common::model("fp32") else { return };
    let mut node = FusionNode::with_model(FusionParams::default(), Some(model));
    node.on_tf_static(frame.static_tf.as_ref().unwrap()).unwrap();
    let cloud = frame.cloud.as_ref().unwrap();
    assert!(node.detect(Some(cloud), frame.image.as_ref()).unwrap().objects.is_empty());
    assert_eq!(node.stats().get(Counter::NoCameraInfo), 1);
    node.on_camera_info(frame.camera_info.as_ref().unwrap(), Default::default()).unwrap();
    // No image at all: the cloud waits sync.camera_wait_ms (on a tick), then goes on alone.
    let now = cloud.header.stamp;
    assert!(node.on_cloud(frame_cloud(&frame), now).unwrap().is_empty());
    let later = edgefusion_msgs::builtin_interfaces::Time::from_nanos(now.as_nanos() + 100_000_000);
    let out = node.on_tick(later);
    assert!(common::one_frame(&out).objects.is_empty());
    assert_eq!(node.stats().get(Counter::CameraMissing), 1);
    good_frame_is_served(&mut node, &frame, true);
}

#[test]
fn an_image_before_any_camera_info_waits_for_it() {
    // Over DDS the camera node's image and its CameraInfo race: the image may come first.
    let Some(frame) = common::kitti_000008() else { return };
    let Some(model) = common::model("fp32") else { return };
    let params = FusionParams { lidar_wait_ns: 0, ..Default::default() };
    let mut node = FusionNode::with_model(params, Some(model));
    node.on_tf_static(frame.static_tf.as_ref().unwrap()).unwrap();
    let now = frame.cloud.as_ref().unwrap().header.stamp;
    let image = Arc::new(frame.image.clone().unwrap());
    assert!(node.on_image(image, now).unwrap().is_empty());
    assert!(node.on_cloud(frame_cloud(&frame), now).unwrap().is_empty(), "waits for its image");
    let out = node.on_camera_info(frame.camera_info.as_ref().unwrap(), now).unwrap();
    let cars = common::one_frame(&out)
        .objects
        .iter()
        .filter(|o| o.classification == DetectedObject::CLASS_CAR)
        .count();
    assert!(cars >= 5, "{cars} cars");
    assert_eq!(node.stats().get(Counter::NoCameraInfo), 0);
}

#[test]
fn time_going_backwards_restarts_pairing_and_tracking_without_losing_frames() {
    // A bag played again from its start (`bag play --loop`), or a clock reset.
    let Some(frame) = common::kitti_000008() else { return };
    let Some(model) = common::model("int8") else { return };
    let mut node = common::node(Some(model), &frame);
    let start = frame.cloud.as_ref().unwrap().header.stamp.as_nanos();
    let mut frames = 0;
    for k in [0i64, 1, 2, 0, 1] {
        let stamp = edgefusion_msgs::builtin_interfaces::Time::from_nanos(start + k * 100_000_000);
        let image = with_image(&frame, |i| i.header.stamp = stamp);
        let cloud = Arc::new(with_cloud(&frame, |c| c.header.stamp = stamp));
        let out = common::serve(&mut node, image, cloud);
        let objects = common::one_frame(&out);
        assert_eq!(objects.header.stamp, stamp);
        assert!(objects.objects.len() >= 5, "frame {k}: the cars are still found");
        assert_eq!(common::tracked(&out).len(), 1, "frame {k}: tracking goes on");
        frames += 1;
    }
    assert_eq!(node.stats().get(Counter::Outputs), frames);
    // Both inputs stepped back once: the image first, which restarts the pairing.
    assert_eq!(node.stats().get(Counter::TimeJumpedBack), 1);
    let tracker = node.tracking().unwrap().counters();
    assert_eq!(tracker.get("tracking.time_went_backwards"), Some(&(1, true)));
}
