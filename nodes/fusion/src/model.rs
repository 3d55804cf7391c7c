//! Loading and running a module of the `edgefusion.fusion.v1` contract (docs/MODEL.md).

use crate::convert::{CloudTensor, ImageTensor, Projection};
use crate::error::ModelError;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use tch::jit::IValue;
use tch::{CModule, Device, Kind, Tensor};

/// The contract name the module's `contract()` must return.
pub const CONTRACT: &str = "edgefusion.fusion.v1";

/// How to load a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelOptions {
    /// `cpu`, `cuda` or `cuda:N`. CUDA on a machine without it falls back to the CPU (warning).
    pub device: String,
    /// LibTorch intra-op threads. This is a process-wide LibTorch setting: the last model
    /// loaded sets it for all.
    pub intra_op_threads: usize,
    /// Runs on synthetic inputs after loading (at least one, which validates the signature):
    /// the first runs of a TorchScript module are slow (profiling executor, allocations).
    pub warmup_runs: usize,
}

impl Default for ModelOptions {
    fn default() -> Self {
        Self { device: "cpu".to_string(), intra_op_threads: 2, warmup_runs: 1 }
    }
}

/// `detect_2d` outputs, one row per detection (M rows), on the model's device.
#[derive(Debug)]
pub struct Detections2d {
    /// float32 `[M, 4]`: x_min, y_min, x_max, y_max in pixels.
    pub boxes_2d: Tensor,
    /// int64 `[M]`: `DetectedObject::CLASS_*`.
    pub classes: Tensor,
    /// float32 `[M]`, descending.
    pub scores: Tensor,
}

/// `lift` outputs.
#[derive(Debug)]
pub struct Lifted {
    /// float32 `[M, 7]`: x, y, z, length, width, height, yaw in the lidar frame.
    pub boxes_3d: Tensor,
    /// int64 `[M]`: supporting lidar points (0 = camera-only estimate).
    pub num_points: Tensor,
}

/// `forward` outputs (as tensors; [`Detections::rows`] reads them).
#[derive(Debug)]
pub struct Detections {
    pub boxes_3d: Tensor,
    pub boxes_2d: Tensor,
    pub classes: Tensor,
    pub scores: Tensor,
    pub num_points: Tensor,
}

/// One detection as plain values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// x, y, z (centre), length, width, height, yaw in the lidar frame.
    pub box_3d: [f32; 7],
    /// x_min, y_min, x_max, y_max in pixels.
    pub box_2d: [f32; 4],
    pub class: i64,
    pub score: f32,
    pub num_points: i64,
}

impl Detections {
    pub fn from_parts(detected: Detections2d, lifted: Lifted) -> Self {
        Self {
            boxes_3d: lifted.boxes_3d,
            boxes_2d: detected.boxes_2d,
            classes: detected.classes,
            scores: detected.scores,
            num_points: lifted.num_points,
        }
    }

    pub fn len(&self) -> usize {
        self.scores.size().first().copied().unwrap_or(0) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The detections as values (copied to the CPU). Shapes and dtypes were checked when the
    /// model produced them.
    pub fn rows(&self) -> Result<Vec<Detection>, tch::TchError> {
        let boxes_3d = to_vec::<f32>(&self.boxes_3d)?;
        let boxes_2d = to_vec::<f32>(&self.boxes_2d)?;
        let classes = to_vec::<i64>(&self.classes)?;
        let scores = to_vec::<f32>(&self.scores)?;
        let num_points = to_vec::<i64>(&self.num_points)?;
        Ok((0..scores.len())
            .map(|i| Detection {
                box_3d: boxes_3d[7 * i..7 * i + 7].try_into().expect("7 values"),
                box_2d: boxes_2d[4 * i..4 * i + 4].try_into().expect("4 values"),
                class: classes[i],
                score: scores[i],
                num_points: num_points[i],
            })
            .collect())
    }
}

fn to_vec<T: tch::kind::Element + Copy>(t: &Tensor) -> Result<Vec<T>, tch::TchError> {
    let flat = t.f_to_device(Device::Cpu)?.f_contiguous()?.f_view([-1])?;
    Vec::<T>::try_from(&flat)
}

/// A loaded, validated fusion module.
#[derive(Debug)]
pub struct FusionModel {
    module: CModule,
    path: PathBuf,
    device: Device,
    info: BTreeMap<String, String>,
}

/// The contract's outputs: name, dtype, trailing dimension (None = 1-D `[M]`).
const BOXES_3D: (&str, Kind, Option<i64>) = ("boxes_3d", Kind::Float, Some(7));
const BOXES_2D: (&str, Kind, Option<i64>) = ("boxes_2d", Kind::Float, Some(4));
const CLASSES: (&str, Kind, Option<i64>) = ("classes", Kind::Int64, None);
const SCORES: (&str, Kind, Option<i64>) = ("scores", Kind::Float, None);
const NUM_POINTS: (&str, Kind, Option<i64>) = ("num_points", Kind::Int64, None);

impl FusionModel {
    /// Loads a TorchScript file, checks `contract()`, reads `info()`, and runs it on synthetic
    /// inputs (`max(1, warmup_runs)` times) to validate its outputs.
    pub fn load(path: impl AsRef<Path>, options: &ModelOptions) -> Result<Self, ModelError> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            return Err(ModelError::Missing { path });
        }
        let device = parse_device(&options.device)?;
        crate::heap::keep_freed_memory();
        if options.intra_op_threads > 0 {
            tch::set_num_threads(options.intra_op_threads as i32);
        }
        // Quantized (int8) modules need an engine, chosen before loading; some LibTorch builds
        // default to none (tch-rs #287).
        let qengine = crate::qengine::select();
        let not_torchscript = |e: tch::TchError| ModelError::NotTorchScript {
            path: path.clone(),
            message: torch_message(&e),
        };
        let mut module = CModule::load_on_device(&path, device).map_err(not_torchscript)?;
        module.f_set_eval().map_err(not_torchscript)?;
        let wrong_contract = |found: String| ModelError::WrongContract {
            path: path.clone(),
            expected: CONTRACT,
            found,
        };
        match module.method_is::<IValue>("contract", &[]) {
            Ok(IValue::String(name)) if name == CONTRACT => {}
            Ok(IValue::String(name)) => {
                return Err(wrong_contract(format!("contract() is '{name}'")))
            }
            Ok(other) => return Err(wrong_contract(format!("contract() returned {other:?}"))),
            Err(e) => {
                return Err(wrong_contract(format!(
                    "no contract() method ({})",
                    first_line(&e.to_string())
                )))
            }
        }
        let info = match module.method_is::<IValue>("info", &[]) {
            Ok(IValue::GenericDict(entries)) => entries
                .into_iter()
                .map(|(k, v)| match (k, v) {
                    (IValue::String(k), IValue::String(v)) => Ok((k, v)),
                    (k, v) => {
                        Err(wrong_contract(format!("info() entry {k:?}: {v:?} is not str: str")))
                    }
                })
                .collect::<Result<BTreeMap<_, _>, _>>()?,
            Ok(other) => return Err(wrong_contract(format!("info() returned {other:?}"))),
            Err(e) => {
                return Err(wrong_contract(format!(
                    "no info() method ({})",
                    first_line(&e.to_string())
                )))
            }
        };
        let model = Self { module, path, device, info };
        for _ in 0..options.warmup_runs.max(1) {
            model.warm_up()?;
        }
        tracing::info!(
            "loaded {} on {:?} (quantized engine {qengine}): {}",
            model.path.display(),
            model.device,
            model.info.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")
        );
        Ok(model)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn device(&self) -> Device {
        self.device
    }

    /// The module's `info()`.
    pub fn info(&self) -> &BTreeMap<String, String> {
        &self.info
    }

    /// `info()["variant"]` (`fp32`, `int8`, `fp16`), or "" if absent.
    pub fn variant(&self) -> &str {
        self.info.get("variant").map_or("", String::as_str)
    }

    /// `forward`: detections with their 3D boxes.
    pub fn run(
        &self,
        image: &ImageTensor<'_>,
        points: &CloudTensor<'_>,
        lidar_to_image: &Projection,
    ) -> Result<Detections, ModelError> {
        let borrowed = [image.buffer(), points.buffer()];
        let out = self.call(
            "forward",
            vec![
                self.input(image.tensor()),
                IValue::String(image.encoding().to_string()),
                self.input(points.tensor()),
                self.input(lidar_to_image.tensor()),
            ],
            &[BOXES_3D, BOXES_2D, CLASSES, SCORES, NUM_POINTS],
            &borrowed,
        )?;
        let [boxes_3d, boxes_2d, classes, scores, num_points] =
            out.try_into().expect("five outputs checked");
        Ok(Detections { boxes_3d, boxes_2d, classes, scores, num_points })
    }

    /// `detect_2d`: the camera network with its pre- and post-processing.
    pub fn detect_2d(&self, image: &ImageTensor<'_>) -> Result<Detections2d, ModelError> {
        let out = self.call(
            "detect_2d",
            vec![self.input(image.tensor()), IValue::String(image.encoding().to_string())],
            &[BOXES_2D, CLASSES, SCORES],
            &[image.buffer()],
        )?;
        let [boxes_2d, classes, scores] = out.try_into().expect("three outputs checked");
        Ok(Detections2d { boxes_2d, classes, scores })
    }

    /// `lift`: 3D boxes for 2D detections from the lidar points that project into them.
    pub fn lift(
        &self,
        detections: &Detections2d,
        points: &CloudTensor<'_>,
        lidar_to_image: &Projection,
    ) -> Result<Lifted, ModelError> {
        let out = self.call(
            "lift",
            vec![
                IValue::Tensor(detections.boxes_2d.shallow_clone()),
                IValue::Tensor(detections.classes.shallow_clone()),
                self.input(points.tensor()),
                self.input(lidar_to_image.tensor()),
            ],
            &[BOXES_3D, NUM_POINTS],
            &[points.buffer()],
        )?;
        let [boxes_3d, num_points] = out.try_into().expect("two outputs checked");
        Ok(Lifted { boxes_3d, num_points })
    }

    /// A CPU tensor as an input on the model's device: a handle to the same memory on the CPU,
    /// an upload otherwise.
    fn input(&self, t: &Tensor) -> IValue {
        IValue::Tensor(if self.device == Device::Cpu {
            t.shallow_clone()
        } else {
            t.to_device(self.device)
        })
    }

    /// Calls `method` and checks that it returned a tuple of tensors matching `spec`, with the
    /// same number of rows M, none of them inside a `borrowed` input buffer.
    fn call(
        &self,
        method: &'static str,
        inputs: Vec<IValue>,
        spec: &[(&'static str, Kind, Option<i64>)],
        borrowed: &[Range<usize>],
    ) -> Result<Vec<Tensor>, ModelError> {
        let _no_grad = tch::no_grad_guard();
        let output = self.module.method_is(method, &inputs).map_err(|e| ModelError::Inference {
            path: self.path.clone(),
            method,
            message: torch_message(&e),
        })?;
        drop(inputs);
        let bad = |output: String, expected: String, found: String| ModelError::BadOutput {
            path: self.path.clone(),
            method,
            output,
            expected,
            found,
        };
        let values = match output {
            IValue::Tuple(values) if values.len() == spec.len() => values,
            IValue::Tuple(values) => {
                return Err(bad(
                    "tuple".into(),
                    format!("{} tensors", spec.len()),
                    format!("{} values", values.len()),
                ))
            }
            other => return Err(bad("value".into(), "a tuple".into(), ivalue_kind(&other))),
        };
        let mut tensors = Vec::with_capacity(spec.len());
        let mut rows = None;
        for (value, &(name, kind, columns)) in values.into_iter().zip(spec) {
            let t = match value {
                IValue::Tensor(t) => t,
                other => return Err(bad(name.into(), "a tensor".into(), ivalue_kind(&other))),
            };
            let size = t.size();
            let found_kind = t.f_kind().map_or_else(|e| format!("{e}"), |k| format!("{k:?}"));
            let expected = match columns {
                Some(c) => format!("{kind:?} [M, {c}]"),
                None => format!("{kind:?} [M]"),
            };
            let shape_ok = match columns {
                Some(c) => size.len() == 2 && size[1] == c,
                None => size.len() == 1,
            };
            if t.f_kind().ok() != Some(kind) || !shape_ok {
                return Err(bad(name.into(), expected, format!("{found_kind} {size:?}")));
            }
            let m = size[0];
            if *rows.get_or_insert(m) != m {
                return Err(bad(
                    name.into(),
                    format!("{} rows like {}", rows.unwrap_or(0), spec[0].0),
                    format!("{m} rows"),
                ));
            }
            let address = t.data_ptr() as usize;
            if t.numel() > 0 && borrowed.iter().any(|r| r.contains(&address)) {
                return Err(ModelError::OutputAliasesInput {
                    path: self.path.clone(),
                    method,
                    output: name,
                });
            }
            tensors.push(t);
        }
        Ok(tensors)
    }

    /// One run of each method on synthetic KITTI-sized inputs: a 1242x375 gradient image and
    /// a block of points 10 m ahead of a pinhole camera that looks along lidar x, lifted
    /// with one box around them (so that lift's outputs are checked with M = 1, whatever
    /// `detect_2d` finds in the gradient).
    fn warm_up(&self) -> Result<(), ModelError> {
        let (h, w) = (375usize, 1242usize);
        let pixels: Vec<u8> =
            (0..h * w * 3).map(|i| ((i / 3) % w * 255 / w + (i % 3) * 40) as u8).collect();
        let image = edgefusion_msgs::sensor_msgs::Image {
            height: h as u32,
            width: w as u32,
            encoding: "rgb8".into(),
            step: (3 * w) as u32,
            data: pixels,
            ..Default::default()
        };
        let mut xyzi = Vec::new();
        for i in 0..400 {
            let (a, b) = ((i % 20) as f32 / 19.0, (i / 20) as f32 / 19.0);
            xyzi.extend([10.0, 1.0 - 2.0 * a, -1.0 + 1.5 * b, 0.3]);
        }
        let cloud = synthetic_cloud(&xyzi);
        let image_t = crate::convert::image_tensor(&image, None).expect("valid synthetic image");
        let points = crate::convert::cloud_tensor(&cloud).expect("valid synthetic cloud");
        // Camera looking along lidar x: u = 621 - 700 y/x, v = 187 - 700 z/x.
        let p = nalgebra::Matrix3x4::new(
            0.0, -700.0, 0.0, 0.0, //
            0.0, 0.0, -700.0, 0.0, //
            1.0, 0.0, 0.0, 0.0,
        );
        let projection = Projection::from_matrix(p);
        self.detect_2d(&image_t)?;
        let one_box = Detections2d {
            boxes_2d: Tensor::from_slice(&[500.0f32, 100.0, 700.0, 300.0])
                .view([1, 4])
                .to_device(self.device),
            classes: Tensor::from_slice(&[1i64]).to_device(self.device),
            scores: Tensor::from_slice(&[0.9f32]).to_device(self.device),
        };
        let lifted = self.lift(&one_box, &points, &projection)?;
        if lifted.boxes_3d.size()[0] != 1 {
            return Err(ModelError::BadOutput {
                path: self.path.clone(),
                method: "lift",
                output: "boxes_3d".into(),
                expected: "one row per input box (1)".into(),
                found: format!("{:?}", lifted.boxes_3d.size()),
            });
        }
        self.run(&image_t, &points, &projection)?;
        Ok(())
    }
}

fn synthetic_cloud(xyzi: &[f32]) -> edgefusion_msgs::sensor_msgs::PointCloud2 {
    let data = xyzi.iter().flat_map(|v| v.to_le_bytes()).collect();
    edgefusion_msgs::sensor_msgs::packed_xyzi(Default::default(), data)
}

/// The CUDA index named by `cpu` (None inside), `cuda` (0) or `cuda:N`; None when the name
/// is none of these.
pub fn parse_device_name(name: &str) -> Option<Option<usize>> {
    match name.trim() {
        "cpu" => Some(None),
        "cuda" => Some(Some(0)),
        other => other.strip_prefix("cuda:").and_then(|n| n.parse::<usize>().ok()).map(Some),
    }
}

/// LibTorch's CUDA backend registers itself when `libtorch_cuda.so` is loaded, but the linker
/// leaves that library out of our binaries (`--as-needed`: no symbol of it is referenced), so
/// without this `tch::Cuda::is_available()` is always false. Loading it only when CUDA is asked
/// for keeps CPU-only start-up light.
fn load_libtorch_cuda() {
    static LOADED: std::sync::Once = std::sync::Once::new();
    LOADED.call_once(|| {
        use libloading::os::unix::{Library, RTLD_GLOBAL, RTLD_NOW};
        // SAFETY: this runs LibTorch's own CUDA library initialisers, which only register the
        // backend; the handle is leaked so the library is never unloaded under live tensors.
        match unsafe { Library::open(Some("libtorch_cuda.so"), RTLD_NOW | RTLD_GLOBAL) } {
            Ok(library) => std::mem::forget(library),
            Err(err) => tracing::debug!("LibTorch without CUDA support: {err}"),
        }
    });
}

/// `cpu`, `cuda`, `cuda:N`; CUDA falls back to the CPU with a warning when unavailable.
pub fn parse_device(name: &str) -> Result<Device, ModelError> {
    let index = match parse_device_name(name) {
        None => return Err(ModelError::InvalidDevice { device: name.to_string() }),
        Some(None) => return Ok(Device::Cpu),
        Some(Some(index)) => index,
    };
    load_libtorch_cuda();
    let available = if tch::Cuda::is_available() { tch::Cuda::device_count() as usize } else { 0 };
    if index < available {
        Ok(Device::Cuda(index))
    } else {
        tracing::warn!(
            "device {name} requested but {} CUDA devices are available: running on the CPU",
            available
        );
        Ok(Device::Cpu)
    }
}

fn ivalue_kind(v: &IValue) -> String {
    let text = format!("{v:?}");
    text.split(['(', ' ']).next().unwrap_or("?").to_string()
}

fn first_line(text: &str) -> String {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or(text).trim().to_string()
}

/// LibTorch's message without its C++ backtrace (`Exception raised from ...`, `frame #N`).
/// A TorchScript error keeps its Python-side lines, whose last `...Error: ` line says what
/// went wrong (e.g. the module's "unsupported image encoding ..."), so that one leads.
pub(crate) fn torch_message(error: &tch::TchError) -> String {
    let full = error.to_string();
    let text = full.strip_prefix("Internal torch error: ").unwrap_or(&full);
    let lines: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("Exception raised from"))
        .filter(|l| !l.starts_with("frame #") && !l.trim().is_empty())
        .collect();
    match lines.iter().rev().find(|l| l.contains("Error: ")) {
        Some(cause) if lines.len() > 1 => format!("{} ({})", cause.trim(), lines[0].trim()),
        _ => lines.first().map_or(text.to_string(), |l| l.trim().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torch_messages_lose_the_backtrace_and_lead_with_the_cause() {
        let scripted = tch::TchError::Torch(
            "The following operation failed in the TorchScript interpreter.\n\
             Traceback of TorchScript, serialized code (most recent call last):\n  \
             File \"code/__torch__.py\", line 9, in forward\n\
             RuntimeError: unsupported image encoding 'yuv422'\n\n\
             Exception raised from foo at bar.cpp:1\nframe #0: baz"
                .into(),
        );
        assert_eq!(
            torch_message(&scripted),
            "RuntimeError: unsupported image encoding 'yuv422' (The following operation failed \
             in the TorchScript interpreter.)"
        );
        let plain = tch::TchError::Torch(
            "open file failed, file path: x.pt\nException raised from RAIIFile\nframe #0: y".into(),
        );
        assert_eq!(torch_message(&plain), "open file failed, file path: x.pt");
    }

    #[test]
    fn device_names() {
        assert_eq!(parse_device_name("cpu"), Some(None));
        assert_eq!(parse_device_name("cuda"), Some(Some(0)));
        assert_eq!(parse_device_name("cuda:3"), Some(Some(3)));
        assert_eq!(parse_device_name("cuda:x"), None);
        assert_eq!(parse_device_name("gpu"), None);
    }
}
