//! The node's parameters, from a ROS 2 parameters file (the same file serves both transports):
//!
//! ```yaml
//! fusion:                 # the node's name; `/fusion` and the wildcard `/**` work too
//!   ros__parameters:
//!     model_path: target/models/fusion_fp32.pt
//!     device: cpu         # cpu | cuda | cuda:N
//!     intra_op_threads: 2
//!     score_threshold: 0.5
//!     output_frame: base_link
//!     warmup_runs: 1
//!     lidar_frame: lidar_top
//!     sync:               # camera/lidar pairing (crate::sync), milliseconds
//!       queue_size: 10
//!       max_interval_ms: 50.0
//!       camera_offset_ms: 0.0
//!       lidar_offset_ms: 0.0
//!       camera_min_period_ms: 20.0
//!       camera_wait_ms: 100.0
//!       lidar_timeout_ms: 300.0
//!     scene:              # /perception/scene assembly (crate::scene)
//!       lidar_wait_ms: 100.0
//!       use_lidar_objects: true
//!       odometry_max_gap_ms: 200.0
//! ```
//! Files are read as ROS 2 reads them (`edgefusion_node::params`): sections in file order, later
//! values win; unknown names are logged and ignored.

use crate::model::ModelOptions;
use crate::sync::SyncParams;
use edgefusion_node::{NodeParams, Origins, ParamReader, Params, ParamsError};
use edgefusion_tracker::TrackingParams;
use std::path::PathBuf;

/// Typed parameters of the fusion node.
#[derive(Debug, Clone, PartialEq)]
pub struct FusionParams {
    /// TorchScript module (`edgefusion.fusion.v1`). None, or a file that does not exist: the
    /// node runs without the camera network and publishes empty arrays. Relative paths are
    /// relative to the working directory, as in ROS 2.
    pub model_path: Option<PathBuf>,
    /// `cpu`, `cuda` or `cuda:N`.
    pub device: String,
    /// LibTorch intra-op threads (>= 1).
    pub intra_op_threads: usize,
    /// Detections below this score (0..1) are not published.
    pub score_threshold: f32,
    /// Frame of the published objects.
    pub output_frame: String,
    /// Model runs on synthetic inputs at start-up (at least one always validates the module).
    pub warmup_runs: usize,
    /// The lidar's frame, for camera-only frames before any cloud has named it (the model
    /// lifts boxes in a z-up sensor frame).
    pub lidar_frame: String,
    /// Camera/lidar pairing (`sync.*`, milliseconds in the file).
    pub sync: SyncParams,
    /// A frame waits at most this long (ns) for the lidar node's grid and objects of its cloud.
    pub lidar_wait_ns: i64,
    /// Lidar clusters no camera detection covers join the tracker's input (class unknown).
    pub use_lidar_objects: bool,
    /// Ego poses farther than this (ns) from a frame's stamp are not used for it.
    pub odometry_max_gap_ns: i64,
    /// The tracker and the late fusion with V2X (`tracker.*`, `late_fusion.*`).
    pub tracking: TrackingParams,
}

impl Default for FusionParams {
    fn default() -> Self {
        Self {
            model_path: None,
            device: "cpu".to_string(),
            intra_op_threads: 2,
            score_threshold: 0.5,
            output_frame: "base_link".to_string(),
            warmup_runs: 1,
            lidar_frame: "lidar_top".to_string(),
            sync: SyncParams::default(),
            lidar_wait_ns: 100_000_000,
            use_lidar_objects: true,
            odometry_max_gap_ns: 200_000_000,
            tracking: TrackingParams::default(),
        }
    }
}

impl NodeParams for FusionParams {
    /// The node's parameters from whatever set them (files, `-p`, a launch file, rcl).
    fn from_params(params: &Params, node_name: &str) -> Result<Self, ParamsError> {
        let d = Self::default();
        let r = params.reader(node_name);
        let count = |name, default: usize| r.int_in(name, default as i64, 0..=i64::MAX);
        let p = Self {
            model_path: r.path("model_path", d.model_path.as_deref())?,
            device: r.string("device", &d.device)?,
            intra_op_threads: r.int_in("intra_op_threads", d.intra_op_threads as i64, 1..=1024)?
                as usize,
            score_threshold: r.f64_in("score_threshold", d.score_threshold.into(), 0.0..=1.0)?
                as f32,
            output_frame: r.string("output_frame", &d.output_frame)?,
            warmup_runs: count("warmup_runs", d.warmup_runs)? as usize,
            lidar_frame: r.string("lidar_frame", &d.lidar_frame)?,
            sync: read_sync(&r, &d.sync)?,
            lidar_wait_ns: milliseconds(&r, "scene.lidar_wait_ms", d.lidar_wait_ns)?,
            use_lidar_objects: r.bool("scene.use_lidar_objects", d.use_lidar_objects)?,
            odometry_max_gap_ns: milliseconds(
                &r,
                "scene.odometry_max_gap_ms",
                d.odometry_max_gap_ns,
            )?,
            tracking: TrackingParams::read(&r)?,
        };
        p.check(&Origins::Reader(&r))?;
        r.finish();
        Ok(p)
    }
}

impl FusionParams {
    /// Range checks for parameters built in code; `origin` names them in errors.
    pub fn validate(&self, origin: &str) -> Result<(), ParamsError> {
        self.check(&Origins::Fixed(origin))
    }

    /// The checks a range alone cannot say.
    fn check(&self, at: &Origins) -> Result<(), ParamsError> {
        if crate::model::parse_device_name(&self.device).is_none() {
            return Err(at.out_of_range(
                "device",
                format!("'{}'", self.device),
                "cpu, cuda or cuda:N",
            ));
        }
        if !(1..=1024).contains(&self.intra_op_threads) {
            return Err(at.out_of_range("intra_op_threads", self.intra_op_threads, "1..=1024"));
        }
        if !(0.0..=1.0).contains(&self.score_threshold) {
            return Err(at.out_of_range("score_threshold", self.score_threshold, "0..=1"));
        }
        if self.output_frame.trim().is_empty() {
            return Err(at.out_of_range("output_frame", "''", "a frame name"));
        }
        if self.lidar_frame.trim().is_empty() {
            return Err(at.out_of_range("lidar_frame", "''", "a frame name"));
        }
        if self.sync.queue_size == 0 {
            return Err(at.out_of_range("sync.queue_size", 0, ">= 1"));
        }
        Ok(())
    }

    /// How the node loads its model.
    pub fn model_options(&self) -> ModelOptions {
        ModelOptions {
            device: self.device.clone(),
            intra_op_threads: self.intra_op_threads,
            warmup_runs: self.warmup_runs,
        }
    }
}

/// A duration parameter given in milliseconds (>= 0, at most a day), as nanoseconds.
fn milliseconds(r: &ParamReader, name: &str, default_ns: i64) -> Result<i64, ParamsError> {
    let ms = r.f64_in(name, default_ns as f64 / 1e6, 0.0..=86_400_000.0)?;
    Ok((ms * 1e6).round() as i64)
}

/// A signed offset in milliseconds (at most a minute either way), as nanoseconds.
fn offset(r: &ParamReader, name: &str, default_ns: i64) -> Result<i64, ParamsError> {
    let ms = r.f64_in(name, default_ns as f64 / 1e6, -60_000.0..=60_000.0)?;
    Ok((ms * 1e6).round() as i64)
}

fn read_sync(r: &ParamReader, d: &SyncParams) -> Result<SyncParams, ParamsError> {
    Ok(SyncParams {
        queue_size: r.int_in("sync.queue_size", d.queue_size as i64, 1..=1000)? as usize,
        max_interval_ns: milliseconds(r, "sync.max_interval_ms", d.max_interval_ns)?,
        camera_offset_ns: offset(r, "sync.camera_offset_ms", d.camera_offset_ns)?,
        lidar_offset_ns: offset(r, "sync.lidar_offset_ms", d.lidar_offset_ns)?,
        camera_min_period_ns: milliseconds(r, "sync.camera_min_period_ms", d.camera_min_period_ns)?,
        camera_wait_ns: milliseconds(r, "sync.camera_wait_ms", d.camera_wait_ns)?,
        lidar_timeout_ns: milliseconds(r, "sync.lidar_timeout_ms", d.lidar_timeout_ns)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<FusionParams, ParamsError> {
        FusionParams::from_yaml_str(text, "fusion", "test.yaml")
    }

    #[test]
    fn node_section_overrides_wildcard_and_defaults_fill_the_rest() {
        let p = parse(
            "/**:\n  ros__parameters:\n    score_threshold: 0.3\n    use_sim_time: true\n    \
             device: cuda\nfusion:\n  ros__parameters:\n    score_threshold: 0.7\n    \
             model_path: m.pt\n    intra_op_threads: 4\n    sync:\n      max_interval_ms: 30\n      \
             camera_offset_ms: -12.5\n",
        )
        .unwrap();
        assert_eq!(p.score_threshold, 0.7);
        assert_eq!(p.device, "cuda");
        assert_eq!(p.model_path, Some(PathBuf::from("m.pt")));
        assert_eq!(p.intra_op_threads, 4);
        assert_eq!((p.sync.max_interval_ns, p.sync.camera_offset_ns), (30_000_000, -12_500_000));
        assert_eq!(p.sync.camera_wait_ns, SyncParams::default().camera_wait_ns);
        assert_eq!((p.output_frame.as_str(), p.warmup_runs), ("base_link", 1));
    }

    #[test]
    fn other_nodes_and_empty_model_path_leave_defaults() {
        let p = parse("planner:\n  ros__parameters:\n    speed: 3\n").unwrap();
        assert_eq!(p, FusionParams::default());
        let p = parse("/fusion:\n  ros__parameters:\n    model_path: ''\n").unwrap();
        assert_eq!(p.model_path, None);
    }

    #[test]
    fn wrong_types_and_ranges_name_the_parameter_and_file() {
        let e = parse("fusion:\n  ros__parameters:\n    intra_op_threads: 0\n").unwrap_err();
        assert!(matches!(&e, ParamsError::OutOfRange { name, .. } if name == "intra_op_threads"));
        assert!(e.to_string().contains("test.yaml"), "{e}");
        let e = parse("fusion:\n  ros__parameters:\n    score_threshold: 1.5\n").unwrap_err();
        assert!(matches!(&e, ParamsError::OutOfRange { name, .. } if name == "score_threshold"));
        let e = parse("fusion:\n  ros__parameters:\n    score_threshold: high\n").unwrap_err();
        assert!(
            matches!(&e, ParamsError::WrongType { name, found, .. } if name == "score_threshold" && found == "string 'high'"),
            "{e}"
        );
        let e = parse("fusion:\n  ros__parameters:\n    intra_op_threads: 2.5\n").unwrap_err();
        assert!(matches!(&e, ParamsError::WrongType { name, .. } if name == "intra_op_threads"));
        let e = parse("fusion:\n  ros__parameters:\n    warmup_runs: -1\n").unwrap_err();
        assert!(matches!(&e, ParamsError::OutOfRange { name, .. } if name == "warmup_runs"));
        let e = parse("fusion:\n  ros__parameters:\n    device: tpu\n").unwrap_err();
        assert!(matches!(&e, ParamsError::OutOfRange { name, .. } if name == "device"));
        let e = parse("fusion:\n  ros__parameters:\n    sync:\n      camera_wait_ms: -5\n")
            .unwrap_err();
        assert!(
            matches!(&e, ParamsError::OutOfRange { name, .. } if name == "sync.camera_wait_ms"),
            "{e}"
        );
        let e = parse("fusion:\n  ros__parameters:\n    sync:\n      queue_size: 0\n").unwrap_err();
        assert!(matches!(&e, ParamsError::OutOfRange { name, .. } if name == "sync.queue_size"));
        let e = parse("fusion:\n  ros__parameters: [1]\n").unwrap_err();
        assert!(matches!(e, ParamsError::Structure { .. }));
        let e = parse("fusion: [\n").unwrap_err();
        assert!(matches!(e, ParamsError::Yaml { .. }));
    }

    #[test]
    fn missing_file_names_it() {
        let e = FusionParams::from_yaml_file("/nonexistent/fusion.yaml", "fusion").unwrap_err();
        assert!(e.to_string().contains("/nonexistent/fusion.yaml"), "{e}");
    }
}
