//! Counters of what the node received, published, degraded and rejected, and per-stage latency.

use edgefusion_node::stats::Named;

/// One thing the node counts. Rejections (the `FusionError` of an input) and degraded outputs
/// each have their own counter, so `/diagnostics` can say *why* output is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Counter {
    // Inputs.
    CloudsReceived,
    ImagesReceived,
    CameraInfosReceived,
    TfStaticReceived,
    OdometryReceived,
    // Outputs.
    Outputs,
    ObjectsPublished,
    ScenesPublished,
    // An empty array was published for the cloud because ...
    /// ... the node runs without the camera network (no model file).
    NoModel,
    /// ... no image paired with the cloud (sync.max_interval_ms): lidar (+V2X) only.
    CameraMissing,
    /// ... no camera_info has arrived yet.
    NoCameraInfo,
    /// Camera-only frames: no cloud for sync.lidar_timeout_ms.
    LidarMissing,
    /// Frames tracked without ego motion: odometry arrived once, but not near this frame.
    NoOdometry,
    /// A stamp went back in time (bag restarted): the pairing started over.
    TimeJumpedBack,
    /// The pairing's wait queue overflowed: its oldest cloud went on without waiting.
    SyncQueueFull,
    // Output published, but worth knowing.
    /// Clouds with zero points (boxes are camera-only).
    EmptyCloud,
    /// Points with non-finite x/y/z (ignored by the model), summed over clouds.
    NonFinitePoints,
    /// Clouds none of whose points is in front of the camera (boxes are camera-only).
    AllPointsBehindCamera,
    // Rejected inputs (the input method returned an error).
    UnsupportedEncoding,
    BadImage,
    ImageSizeMismatch,
    BadCloud,
    BadCameraInfo,
    BadOdometry,
    /// An occupancy grid in another frame than output_frame (not used in the scene).
    GridWrongFrame,
    SingularProjection,
    BadTransform,
    TransformUnavailable,
    ModelFailure,
    /// A runtime delivered a message of another type than the port's (a wiring error).
    WrongMessageType,
}

impl Counter {
    pub const ALL: [Counter; 30] = [
        Self::CloudsReceived,
        Self::ImagesReceived,
        Self::CameraInfosReceived,
        Self::TfStaticReceived,
        Self::OdometryReceived,
        Self::Outputs,
        Self::ObjectsPublished,
        Self::ScenesPublished,
        Self::NoModel,
        Self::CameraMissing,
        Self::NoCameraInfo,
        Self::LidarMissing,
        Self::NoOdometry,
        Self::TimeJumpedBack,
        Self::SyncQueueFull,
        Self::EmptyCloud,
        Self::NonFinitePoints,
        Self::AllPointsBehindCamera,
        Self::UnsupportedEncoding,
        Self::BadImage,
        Self::ImageSizeMismatch,
        Self::BadCloud,
        Self::BadCameraInfo,
        Self::BadOdometry,
        Self::GridWrongFrame,
        Self::SingularProjection,
        Self::BadTransform,
        Self::TransformUnavailable,
        Self::ModelFailure,
        Self::WrongMessageType,
    ];
}

/// The node's counters (all start at 0).
pub type FusionStats = edgefusion_node::Counters<Counter>;

/// A processing stage timed per cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Messages to tensors: image view, cloud view or gather, projection matrix.
    Conversion,
    Detect2d,
    Lift,
    /// The whole model step of a frame (`FusionNode::detect`), output message included.
    Total,
    /// Ego motion, tracker update, late fusion with V2X and the scene, per frame.
    Tracking,
}

impl Stage {
    pub const ALL: [Stage; 5] =
        [Self::Conversion, Self::Detect2d, Self::Lift, Self::Total, Self::Tracking];
}

/// Latency histograms per [`Stage`].
pub type StageLatency = edgefusion_node::StageLatency<Stage>;

impl Named for Counter {
    /// snake_case name, for logs and diagnostics.
    fn name(self) -> &'static str {
        match self {
            Self::CloudsReceived => "clouds_received",
            Self::ImagesReceived => "images_received",
            Self::CameraInfosReceived => "camera_infos_received",
            Self::TfStaticReceived => "tf_static_received",
            Self::OdometryReceived => "odometry_received",
            Self::Outputs => "outputs",
            Self::ObjectsPublished => "objects_published",
            Self::ScenesPublished => "scenes_published",
            Self::NoModel => "no_model",
            Self::CameraMissing => "camera_missing",
            Self::LidarMissing => "lidar_missing",
            Self::NoOdometry => "no_odometry",
            Self::TimeJumpedBack => "time_jumped_back",
            Self::SyncQueueFull => "sync_queue_full",
            Self::NoCameraInfo => "no_camera_info",
            Self::EmptyCloud => "empty_cloud",
            Self::NonFinitePoints => "non_finite_points",
            Self::AllPointsBehindCamera => "all_points_behind_camera",
            Self::UnsupportedEncoding => "unsupported_encoding",
            Self::BadImage => "bad_image",
            Self::ImageSizeMismatch => "image_size_mismatch",
            Self::BadCloud => "bad_cloud",
            Self::BadCameraInfo => "bad_camera_info",
            Self::BadOdometry => "bad_odometry",
            Self::GridWrongFrame => "grid_wrong_frame",
            Self::SingularProjection => "singular_projection",
            Self::BadTransform => "bad_transform",
            Self::TransformUnavailable => "transform_unavailable",
            Self::ModelFailure => "model_failure",
            Self::WrongMessageType => "wrong_message_type",
        }
    }
}

impl Named for Stage {
    /// snake_case name, for logs and diagnostics.
    fn name(self) -> &'static str {
        match self {
            Self::Conversion => "conversion",
            Self::Detect2d => "detect_2d",
            Self::Lift => "lift",
            Self::Total => "total",
            Self::Tracking => "tracking",
        }
    }
}
