//! Why the node rejects an input; each names the frame, field or numbers at fault.

use crate::stats::Counter;
use edgefusion_msgs::sensor_msgs::PointCloudError;
use edgefusion_node::ParamsError;
use edgefusion_tf::TfError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LidarError {
    #[error("cloud in frame '{frame}' rejected: {source}")]
    Layout {
        frame: String,
        #[source]
        source: PointCloudError,
    },
    #[error("cloud in frame '{frame}': no static transform to '{target}': {source}")]
    TransformUnavailable {
        frame: String,
        target: String,
        #[source]
        source: Box<TfError>,
    },
    #[error("/tf_static rejected: {0}")]
    BadTfStatic(#[source] Box<TfError>),
}

impl LidarError {
    /// The counter of this reason.
    pub fn counter(&self) -> Counter {
        match self {
            Self::Layout { source, .. } => match source {
                PointCloudError::RowStep { .. } => Counter::CloudRowStep,
                PointCloudError::DataLength { .. } => Counter::CloudDataLength,
                PointCloudError::UnknownDatatype { .. } => Counter::CloudUnknownDatatype,
                PointCloudError::FieldOutsidePoint { .. } => Counter::CloudFieldOutsidePoint,
                PointCloudError::EmptyField { .. } => Counter::CloudEmptyField,
                PointCloudError::MissingField { .. } => Counter::CloudMissingField,
            },
            Self::TransformUnavailable { .. } => Counter::TransformUnavailable,
            Self::BadTfStatic(_) => Counter::BadTfStatic,
        }
    }
}

/// Why the node cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Params(#[from] ParamsError),
    #[error("lidar: cannot start {threads} worker thread(s): {source}")]
    Threads {
        threads: usize,
        #[source]
        source: rayon::ThreadPoolBuildError,
    },
}
