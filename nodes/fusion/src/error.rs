//! The node's errors. Each names what is wrong and where (file, field, frame, encoding), and
//! maps to one [`Counter`] so that every rejected input is counted by reason.

use crate::stats::Counter;
use edgefusion_msgs::sensor_msgs::PointCloudError;
use edgefusion_tf::TfError;
use std::path::PathBuf;

/// Loading or running the TorchScript module.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model file {path} does not exist")]
    Missing { path: PathBuf },
    #[error("{path} is not a loadable TorchScript module: {message}")]
    NotTorchScript { path: PathBuf, message: String },
    #[error("{path} does not implement the {expected} contract: {found}")]
    WrongContract { path: PathBuf, expected: &'static str, found: String },
    #[error("{path}: {method}() output {output}: expected {expected}, got {found}")]
    BadOutput {
        path: PathBuf,
        method: &'static str,
        output: String,
        expected: String,
        found: String,
    },
    #[error("{path}: {method}() output {output} is a view of an input buffer (the contract requires new tensors)")]
    OutputAliasesInput { path: PathBuf, method: &'static str, output: &'static str },
    #[error("{path}: {method}() failed: {message}")]
    Inference { path: PathBuf, method: &'static str, message: String },
    #[error("device '{device}' is not one of cpu, cuda, cuda:N")]
    InvalidDevice { device: String },
}

impl ModelError {
    /// The model file concerned (None for a bad device name).
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Self::Missing { path }
            | Self::NotTorchScript { path, .. }
            | Self::WrongContract { path, .. }
            | Self::BadOutput { path, .. }
            | Self::OutputAliasesInput { path, .. }
            | Self::Inference { path, .. } => Some(path),
            Self::InvalidDevice { .. } => None,
        }
    }
}

/// Turning messages into the module's input tensors.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConvertError {
    #[error("image encoding '{encoding}' is not supported (rgb8, bgr8, mono8)")]
    UnsupportedEncoding { encoding: String },
    #[error("image is {width}x{height}: empty")]
    EmptyImage { width: u32, height: u32 },
    #[error("image step {step} is smaller than width {width} x {channels} channels")]
    ImageStep { step: u32, width: u32, channels: u32 },
    #[error("image data has {actual} bytes, but step {step} x height {height} is {expected}")]
    ImageDataLength { actual: usize, expected: u64, step: u32, height: u32 },
    #[error(
        "image is {image_width}x{image_height} but camera_info says {info_width}x{info_height}"
    )]
    ImageSizeMismatch { image_width: u32, image_height: u32, info_width: u32, info_height: u32 },
    #[error(transparent)]
    Cloud(#[from] PointCloudError),
    #[error("camera_info P (frame '{frame}') has non-finite values")]
    NonFiniteProjection { frame: String },
    #[error(
        "projection P·T({camera} <- {lidar}) is singular (left 3x3 block has rank < 3; \
         singular values {singular_values:?})"
    )]
    SingularProjection { camera: String, lidar: String, singular_values: [f64; 3] },
}

/// What `FusionNode`'s inputs return when they reject a message.
#[derive(Debug, thiserror::Error)]
pub enum FusionError {
    #[error(transparent)]
    Convert(#[from] ConvertError),
    #[error("transform: {0}")]
    Transform(#[from] TfError),
    #[error("model: {0}")]
    Model(#[from] ModelError),
}

impl FusionError {
    /// The counter this rejection increments.
    pub fn counter(&self) -> Counter {
        match self {
            Self::Convert(e) => match e {
                ConvertError::UnsupportedEncoding { .. } => Counter::UnsupportedEncoding,
                ConvertError::EmptyImage { .. }
                | ConvertError::ImageStep { .. }
                | ConvertError::ImageDataLength { .. } => Counter::BadImage,
                ConvertError::ImageSizeMismatch { .. } => Counter::ImageSizeMismatch,
                ConvertError::Cloud(_) => Counter::BadCloud,
                ConvertError::NonFiniteProjection { .. } => Counter::BadCameraInfo,
                ConvertError::SingularProjection { .. } => Counter::SingularProjection,
            },
            Self::Transform(TfError::InvalidTransform { .. } | TfError::Cycle { .. }) => {
                Counter::BadTransform
            }
            Self::Transform(_) => Counter::TransformUnavailable,
            Self::Model(_) => Counter::ModelFailure,
        }
    }
}
