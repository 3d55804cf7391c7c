//! Counters of what the node received, dropped and rejected (one per reason), and per-stage
//! latency histograms.

use edgefusion_node::stats::Named;

/// One thing the node counts. Point counters are summed over clouds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Counter {
    // Inputs and outputs.
    CloudsReceived,
    TfStaticReceived,
    Outputs,
    // Points, summed over accepted clouds.
    PointsIn,
    /// x, y or z NaN or infinite (is_dense = false clouds).
    NonFinitePoints,
    /// Outside the crop box.
    CroppedPoints,
    /// Inside the ego-vehicle box.
    EgoPoints,
    /// Merged into another point's voxel.
    VoxelMergedPoints,
    GroundPoints,
    /// Non-ground points published in the cleaned cloud.
    ObstaclePoints,
    /// Accepted clouds with no point left after cropping (an all-unknown grid is published).
    EmptyCloud,
    // Clusters, summed over accepted clouds.
    /// Published as objects on the objects topic.
    ClustersPublished,
    /// Dropped: fewer than `cluster.min_points` points (noise, stray returns).
    ClustersTooFewPoints,
    /// Dropped: more than `cluster.max_points` points.
    ClustersTooManyPoints,
    /// Dropped: box longer than `cluster.max_size` (walls, buildings).
    ClustersTooLong,
    // Rejected inputs, one per reason.
    /// `/tf_static` message with an invalid transform (none of it stored).
    BadTfStatic,
    /// No static transform from the cloud's frame to the output frame.
    TransformUnavailable,
    /// PointCloud2 layout errors, by `PointCloudError` variant.
    CloudRowStep,
    CloudDataLength,
    CloudUnknownDatatype,
    CloudFieldOutsidePoint,
    CloudEmptyField,
    CloudMissingField,
    /// A runtime handed an input port a message of another type (a wiring bug, not data).
    WrongMessageType,
}

impl Counter {
    pub const ALL: [Counter; 24] = [
        Self::CloudsReceived,
        Self::TfStaticReceived,
        Self::Outputs,
        Self::PointsIn,
        Self::NonFinitePoints,
        Self::CroppedPoints,
        Self::EgoPoints,
        Self::VoxelMergedPoints,
        Self::GroundPoints,
        Self::ObstaclePoints,
        Self::EmptyCloud,
        Self::ClustersPublished,
        Self::ClustersTooFewPoints,
        Self::ClustersTooManyPoints,
        Self::ClustersTooLong,
        Self::BadTfStatic,
        Self::TransformUnavailable,
        Self::CloudRowStep,
        Self::CloudDataLength,
        Self::CloudUnknownDatatype,
        Self::CloudFieldOutsidePoint,
        Self::CloudEmptyField,
        Self::CloudMissingField,
        Self::WrongMessageType,
    ];

    /// Whether this counts a problem (a rejected input or a degraded output) rather than
    /// work. Non-finite points are not one: is_dense = false clouds mark absent returns so.
    pub fn is_problem(self) -> bool {
        match self {
            Self::CloudsReceived
            | Self::TfStaticReceived
            | Self::Outputs
            | Self::PointsIn
            | Self::NonFinitePoints
            | Self::CroppedPoints
            | Self::EgoPoints
            | Self::VoxelMergedPoints
            | Self::GroundPoints
            | Self::ObstaclePoints
            | Self::ClustersPublished
            | Self::ClustersTooFewPoints
            | Self::ClustersTooManyPoints
            | Self::ClustersTooLong => false,
            Self::EmptyCloud
            | Self::BadTfStatic
            | Self::TransformUnavailable
            | Self::CloudRowStep
            | Self::CloudDataLength
            | Self::CloudUnknownDatatype
            | Self::CloudFieldOutsidePoint
            | Self::CloudEmptyField
            | Self::CloudMissingField
            | Self::WrongMessageType => true,
        }
    }
}

/// The node's counters (all start at 0).
pub type LidarStats = edgefusion_node::Counters<Counter>;

/// A processing stage timed per cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Layout check, decoding any layout, dropping non-finite points, transform to the output frame.
    Transform,
    /// Crop box and ego box.
    Crop,
    Voxel,
    Ground,
    /// BEV occupancy grid with ray casting.
    Grid,
    /// Euclidean clustering and box fitting (`cluster.enabled`).
    Cluster,
    /// The cleaned cloud, grid and objects messages.
    Output,
    /// The whole `on_cloud`.
    Total,
}

impl Stage {
    pub const ALL: [Stage; 8] = [
        Self::Transform,
        Self::Crop,
        Self::Voxel,
        Self::Ground,
        Self::Grid,
        Self::Cluster,
        Self::Output,
        Self::Total,
    ];
}

/// Latency histograms per [`Stage`].
pub type StageLatency = edgefusion_node::StageLatency<Stage>;

impl Named for Counter {
    /// snake_case name, for logs and diagnostics.
    fn name(self) -> &'static str {
        match self {
            Self::CloudsReceived => "clouds_received",
            Self::TfStaticReceived => "tf_static_received",
            Self::Outputs => "outputs",
            Self::PointsIn => "points_in",
            Self::NonFinitePoints => "non_finite_points",
            Self::CroppedPoints => "cropped_points",
            Self::EgoPoints => "ego_points",
            Self::VoxelMergedPoints => "voxel_merged_points",
            Self::GroundPoints => "ground_points",
            Self::ObstaclePoints => "obstacle_points",
            Self::EmptyCloud => "empty_cloud",
            Self::ClustersPublished => "clusters_published",
            Self::ClustersTooFewPoints => "clusters_too_few_points",
            Self::ClustersTooManyPoints => "clusters_too_many_points",
            Self::ClustersTooLong => "clusters_too_long",
            Self::BadTfStatic => "bad_tf_static",
            Self::TransformUnavailable => "transform_unavailable",
            Self::CloudRowStep => "cloud_row_step",
            Self::CloudDataLength => "cloud_data_length",
            Self::CloudUnknownDatatype => "cloud_unknown_datatype",
            Self::CloudFieldOutsidePoint => "cloud_field_outside_point",
            Self::CloudEmptyField => "cloud_empty_field",
            Self::CloudMissingField => "cloud_missing_field",
            Self::WrongMessageType => "wrong_message_type",
        }
    }
}

impl Named for Stage {
    /// snake_case name, for logs and diagnostics.
    fn name(self) -> &'static str {
        match self {
            Self::Transform => "transform",
            Self::Crop => "crop",
            Self::Voxel => "voxel",
            Self::Ground => "ground",
            Self::Grid => "grid",
            Self::Cluster => "cluster",
            Self::Output => "output",
            Self::Total => "total",
        }
    }
}
