//! Counters of what the node received, published and rejected (one per reason), and per-stage
//! latency histograms.

use edgefusion_node::stats::Named;

/// One thing the node counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Counter {
    // Inputs and outputs.
    ImagesReceived,
    CompressedReceived,
    CameraInfoReceived,
    /// CameraInfo messages not used because `calibration_file` is set.
    CameraInfoIgnored,
    /// Accepted images: one rectified image and one CameraInfo published for each.
    Outputs,
    /// Images that went through the rectification map.
    Remapped,
    /// Images published as decoded (no distortion to remove, or `rectify: false`).
    PassedThrough,
    /// Rectification maps computed (once per calibration change).
    MapsBuilt,
    // Rejected inputs, one per reason.
    /// An image arrived before any calibration (no CameraInfo yet, no `calibration_file`).
    NoCameraInfo,
    /// A CameraInfo message that cannot describe an image (sizes, non-finite numbers, ...).
    BadCameraInfo,
    /// Rectification asked for, but the camera is uncalibrated (K[0] = 0, as ROS marks it).
    Uncalibrated,
    /// Rectification asked for with a distortion model the node cannot invert (equidistant, ...).
    UnsupportedDistortion,
    UnsupportedEncoding,
    /// CompressedImage `format` neither JPEG nor PNG.
    UnsupportedFormat,
    /// JPEG/PNG data that does not decode.
    CorruptCompressed,
    /// Image.step shorter than a row of pixels.
    BadStep,
    /// Image.data shorter than step × height.
    BadDataLength,
    /// Zero width or height, or too small for the encoding (Bayer needs 2×2).
    BadSize,
    /// More pixels than `max_pixels`.
    TooLarge,
    /// Image size differs from the calibration's.
    SizeMismatch,
    /// A runtime handed an input port a message of another type (a wiring bug, not data).
    WrongMessageType,
}

impl Counter {
    pub const ALL: [Counter; 21] = [
        Self::ImagesReceived,
        Self::CompressedReceived,
        Self::CameraInfoReceived,
        Self::CameraInfoIgnored,
        Self::Outputs,
        Self::Remapped,
        Self::PassedThrough,
        Self::MapsBuilt,
        Self::NoCameraInfo,
        Self::BadCameraInfo,
        Self::Uncalibrated,
        Self::UnsupportedDistortion,
        Self::UnsupportedEncoding,
        Self::UnsupportedFormat,
        Self::CorruptCompressed,
        Self::BadStep,
        Self::BadDataLength,
        Self::BadSize,
        Self::TooLarge,
        Self::SizeMismatch,
        Self::WrongMessageType,
    ];

    /// Whether this counts a problem (a rejected input) rather than work.
    pub fn is_problem(self) -> bool {
        !matches!(
            self,
            Self::ImagesReceived
                | Self::CompressedReceived
                | Self::CameraInfoReceived
                | Self::CameraInfoIgnored
                | Self::Outputs
                | Self::Remapped
                | Self::PassedThrough
                | Self::MapsBuilt
        )
    }
}

/// The node's counters (all start at 0).
pub type CameraStats = edgefusion_node::Counters<Counter>;

/// A processing stage timed per image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Layout checks and conversion to rgb8 (JPEG/PNG decoding, Bayer demosaicing, ...).
    Decode,
    /// Rectification (remap; map building when the calibration changed). Not recorded for
    /// images that need none.
    Rectify,
    /// The whole input method.
    Total,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Self::Decode, Self::Rectify, Self::Total];
}

/// Latency histograms per [`Stage`].
pub type StageLatency = edgefusion_node::StageLatency<Stage>;

impl Named for Counter {
    /// snake_case name, for logs and diagnostics.
    fn name(self) -> &'static str {
        match self {
            Self::ImagesReceived => "images_received",
            Self::CompressedReceived => "compressed_received",
            Self::CameraInfoReceived => "camera_info_received",
            Self::CameraInfoIgnored => "camera_info_ignored",
            Self::Outputs => "outputs",
            Self::Remapped => "remapped",
            Self::PassedThrough => "passed_through",
            Self::MapsBuilt => "maps_built",
            Self::NoCameraInfo => "no_camera_info",
            Self::BadCameraInfo => "bad_camera_info",
            Self::Uncalibrated => "uncalibrated",
            Self::UnsupportedDistortion => "unsupported_distortion",
            Self::UnsupportedEncoding => "unsupported_encoding",
            Self::UnsupportedFormat => "unsupported_format",
            Self::CorruptCompressed => "corrupt_compressed",
            Self::BadStep => "bad_step",
            Self::BadDataLength => "bad_data_length",
            Self::BadSize => "bad_size",
            Self::TooLarge => "too_large",
            Self::SizeMismatch => "size_mismatch",
            Self::WrongMessageType => "wrong_message_type",
        }
    }
}

impl Named for Stage {
    /// snake_case name, for logs and diagnostics.
    fn name(self) -> &'static str {
        match self {
            Self::Decode => "decode",
            Self::Rectify => "rectify",
            Self::Total => "total",
        }
    }
}
