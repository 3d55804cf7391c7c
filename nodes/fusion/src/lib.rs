//! The fusion node: camera + lidar objects from the TorchScript model of `model/`
//! (docs/MODEL.md), run through LibTorch with `tch`.
//!
//! # API
//! - [`FusionParams`]: typed parameters (`edgefusion_node::NodeParams`): `from_yaml_file(path, "fusion")` reads
//!   a ROS 2 parameters file (`fusion:` or `/**:` → `ros__parameters:`), [`ParamsError`] names
//!   the parameter and the file.
//! - [`FusionNode`]: the transport-free core. [`FusionNode::new`]`(params)` loads the model
//!   (unset or missing file → runs without it, empty outputs), [`FusionNode::with_model`] shares
//!   an already loaded one. One method per input: [`FusionNode::on_camera_info`],
//!   [`FusionNode::on_tf_static`], [`FusionNode::on_odometry`], [`FusionNode::on_v2x_objects`],
//!   and those that return what to publish ([`Output`]): [`FusionNode::on_image`],
//!   [`FusionNode::on_cloud`] (paired by [`sync`]), [`FusionNode::on_occupancy_grid`] and
//!   [`FusionNode::on_lidar_objects`] (joined by [`scene`]), [`FusionNode::on_tick`] and
//!   [`FusionNode::on_end`]. [`FusionNode::detect`] is the model step on one frame (used by
//!   `edgefusion eval`). Every rejected input is a [`FusionError`] and a [`Counter`] in
//!   [`FusionNode::stats`]; per-stage latency in [`FusionNode::latency`] ([`Stage`]).
//!   docs/PERCEPTION.md describes the pairing, the degraded modes and the scene.
//! - [`FusionModel`]: [`FusionModel::load`]`(path, &ModelOptions)` checks `contract()`, reads
//!   `info()` and validates the outputs on synthetic inputs; [`FusionModel::run`] (`forward`),
//!   [`FusionModel::detect_2d`] and [`FusionModel::lift`] take tensors made by [`convert`]:
//!   [`convert::image_tensor`], [`convert::cloud_tensor`], [`convert::lidar_to_image`].
//!
//! ```no_run
//! use edgefusion_fusion::{FusionNode, FusionParams, Output};
//! use edgefusion_node::NodeParams;
//! use std::sync::Arc;
//! let params = FusionParams::from_yaml_file("calib/params/fusion.yaml", FusionNode::NAME)?;
//! let mut node = FusionNode::new(params)?;
//! # let (info, tf, image, cloud) = (Default::default(), Default::default(), Default::default(), Default::default());
//! # let now = Default::default();
//! node.on_camera_info(&info, now)?;
//! node.on_tf_static(&tf)?;
//! let mut outputs = node.on_image(Arc::new(image), now)?;
//! outputs.extend(node.on_cloud(Arc::new(cloud), now)?);
//! for output in outputs {
//!     if let Output::Objects(objects) = output {
//!         println!("{} objects", objects.objects.len());
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Output
//! `DetectedObjectArray` in `output_frame` (boxes moved from the cloud's frame through the tf
//! tree), stamped with the newer of the cloud's and the image's stamps; per object: class,
//! score, image box, `num_points`, modalities camera (| lidar when `num_points > 0`) and the
//! covariance model of [`covariance`].

pub mod convert;
pub mod covariance;
pub mod ego;
pub mod error;
pub mod heap;
pub mod model;
pub mod node;
pub mod params;
mod ports;
pub mod qengine;
pub mod scene;
pub mod stats;
pub mod sync;
pub mod tracking;

pub use edgefusion_node::ParamsError;
pub use error::{ConvertError, FusionError, ModelError};
pub use model::{Detection, Detections, Detections2d, FusionModel, Lifted, ModelOptions, CONTRACT};
pub use node::{FusionNode, Output};
pub use params::FusionParams;
pub use stats::{Counter, FusionStats, Stage, StageLatency};
