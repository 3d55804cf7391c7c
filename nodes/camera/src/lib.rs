//! The camera node: raw or compressed camera images in; the image the fusion node consumes
//! (rgb8, rectified) and the CameraInfo that describes it out.
//!
//! Stages ([`CameraNode::on_image`], [`CameraNode::on_compressed`]): decode any supported
//! input to rgb8 ([`decode`]: rgb8, bgr8, rgba8, bgra8, mono8, four Bayer patterns, JPEG,
//! PNG); check its size against the calibration; rectify ([`rectify`], OpenCV's
//! `initUndistortRectifyMap` + `remap`, the map built once per calibration and skipped when
//! there is nothing to undo). The calibration comes from the CameraInfo topic or from a ROS
//! camera_calibration YAML file ([`calibration`]). Parameters: [`CameraParams`] from
//! `calib/params/camera.yaml`. The core has no transport (DESIGN.md "A node"); the runtimes
//! host it through `edgefusion_node::NodeCore` ([`ports`]).

pub mod calibration;
pub mod decode;
pub mod error;
pub mod node;
pub mod params;
pub mod ports;
pub mod rectify;
pub mod stats;

pub use calibration::{CalibrationError, CameraCalibration};
pub use error::{CameraError, StartError};
pub use node::{CameraNode, CameraOutput};
pub use params::{CameraParams, ParamsError};
pub use rectify::{Interpolation, RectifyError, RectifyMap};
pub use stats::{CameraStats, Counter, Stage, StageLatency};
