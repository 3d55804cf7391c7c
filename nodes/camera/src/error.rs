//! Why the node rejects an input or cannot start; each error names the topic, field and values
//! at fault.

use crate::calibration::CalibrationError;
use crate::stats::Counter;
use edgefusion_node::ParamsError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CameraError {
    #[error(
        "{topic}: image dropped: no calibration yet (no CameraInfo received, no calibration_file)"
    )]
    NoCameraInfo { topic: String },
    #[error("{topic}: CameraInfo rejected (previous calibration kept): {source}")]
    BadCameraInfo {
        topic: String,
        #[source]
        source: CalibrationError,
    },
    #[error(
        "{topic}: image dropped: rectification asked for but the camera is uncalibrated (K[0] = 0)"
    )]
    Uncalibrated { topic: String },
    #[error("{topic}: image dropped: cannot rectify distortion_model '{model}' ({why}); set rectify: false to pass images through")]
    UnsupportedDistortion { topic: String, model: String, why: String },
    #[error("{topic}: encoding '{encoding}' is not supported (rgb8, bgr8, rgba8, bgra8, mono8, bayer_rggb8, bayer_bggr8, bayer_gbrg8, bayer_grbg8)")]
    UnsupportedEncoding { topic: String, encoding: String },
    #[error("{topic}: format '{format}' is not supported (JPEG or PNG)")]
    UnsupportedFormat { topic: String, format: String },
    #[error("{topic}: {codec} data ({bytes} bytes) does not decode: {message}")]
    CorruptCompressed { topic: String, codec: &'static str, bytes: usize, message: String },
    #[error("{topic}: field 'step' = {step} is shorter than a row of {width} {encoding} pixels ({row} bytes)")]
    BadStep { topic: String, step: u32, width: u32, encoding: String, row: u64 },
    #[error("{topic}: field 'data' has {len} bytes, expected step × height = {expected}")]
    BadDataLength { topic: String, len: usize, expected: u64 },
    #[error("{topic}: image size {width} x {height} is {why}")]
    BadSize { topic: String, width: u64, height: u64, why: &'static str },
    #[error("{topic}: image size {width} x {height} exceeds max_pixels = {max_pixels}")]
    TooLarge { topic: String, width: u64, height: u64, max_pixels: u64 },
    #[error("{topic}: image size {width} x {height} does not match the calibration's {expected_width} x {expected_height} ({calibration})")]
    SizeMismatch {
        topic: String,
        width: u32,
        height: u32,
        expected_width: u32,
        expected_height: u32,
        calibration: String,
    },
}

impl CameraError {
    /// The counter of this reason.
    pub fn counter(&self) -> Counter {
        match self {
            Self::NoCameraInfo { .. } => Counter::NoCameraInfo,
            Self::BadCameraInfo { .. } => Counter::BadCameraInfo,
            Self::Uncalibrated { .. } => Counter::Uncalibrated,
            Self::UnsupportedDistortion { .. } => Counter::UnsupportedDistortion,
            Self::UnsupportedEncoding { .. } => Counter::UnsupportedEncoding,
            Self::UnsupportedFormat { .. } => Counter::UnsupportedFormat,
            Self::CorruptCompressed { .. } => Counter::CorruptCompressed,
            Self::BadStep { .. } => Counter::BadStep,
            Self::BadDataLength { .. } => Counter::BadDataLength,
            Self::BadSize { .. } => Counter::BadSize,
            Self::TooLarge { .. } => Counter::TooLarge,
            Self::SizeMismatch { .. } => Counter::SizeMismatch,
        }
    }
}

/// Why the node cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Params(#[from] ParamsError),
    #[error("camera: calibration_file: {0}")]
    Calibration(#[from] CalibrationError),
    /// The file is valid but unusable: no rectification map for it, or too large an image.
    #[error("camera: calibration_file {file}: {why}")]
    Rectification { file: String, why: String },
}
