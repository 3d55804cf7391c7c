//! The fusion node: camera + lidar objects from the TorchScript model of `model/`
//! (docs/MODEL.md), run through LibTorch with `tch`.
//!
//! # API
//! - [`FusionParams`]: typed parameters (`edgefusion_node::NodeParams`): `from_yaml_file(path, "fusion")` reads
//!   a ROS 2 parameters file (`fusion:` or `/**:` → `ros__parameters:`), [`ParamsError`] names
//!   the parameter and the file.
//! - [`FusionNode`]: the transport-free core. [`FusionNode::new`]`(params)` loads the model
//!   (unset or missing file → runs without it, empty outputs), [`FusionNode::with_model`] shares
//!   an already loaded one. Inputs: [`FusionNode::on_camera_info`], [`FusionNode::on_tf_static`],
//!   [`FusionNode::on_image`]`(Arc<Image>)`, and [`FusionNode::on_cloud`]`(&PointCloud2) ->
//!   Result<Option<DetectedObjectArray>, FusionError>` (lidar drives the output). Every rejected
//!   input is a [`FusionError`] and a [`Counter`] in [`FusionNode::stats`]; per-stage latency in
//!   [`FusionNode::latency`] ([`Stage`]). [`FusionNode::track`] runs the tracker and the late
//!   fusion with V2X ([`tracking`]) over a frame's detections.
//! - [`FusionModel`]: [`FusionModel::load`]`(path, &ModelOptions)` checks `contract()`, reads
//!   `info()` and validates the outputs on synthetic inputs; [`FusionModel::run`] (`forward`),
//!   [`FusionModel::detect_2d`] and [`FusionModel::lift`] take tensors made by [`convert`]:
//!   [`convert::image_tensor`], [`convert::cloud_tensor`], [`convert::lidar_to_image`].
//!
//! ```no_run
//! use edgefusion_fusion::{FusionNode, FusionParams};
//! use edgefusion_node::NodeParams;
//! let params = FusionParams::from_yaml_file("calib/params/fusion.yaml", FusionNode::NAME)?;
//! let mut node = FusionNode::new(params)?;
//! # let (info, tf, image, cloud) = (Default::default(), Default::default(), Default::default(), Default::default());
//! node.on_camera_info(&info)?;
//! node.on_tf_static(&tf)?;
//! node.on_image(std::sync::Arc::new(image))?;
//! if let Some(objects) = node.on_cloud(&cloud)? {
//!     println!("{} objects", objects.objects.len());
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
pub mod model;
pub mod node;
pub mod params;
mod ports;
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
