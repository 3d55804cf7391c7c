//! The lidar node: any `sensor_msgs/PointCloud2` layout in; the cleaned (non-ground) cloud in
//! `base_link`, a BEV `nav_msgs/OccupancyGrid` and the clustered obstacles
//! (`edgefusion_msgs/DetectedObjectArray`, class unknown) out.
//!
//! Stages ([`LidarNode::on_cloud`]): read the cloud whatever its layout (the stack's one
//! reader, `edgefusion_msgs::sensor_msgs::PointCloudReader`) and move it to the output frame
//! with the static tf ([`points`]); crop box and ego box; voxel-grid downsampling ([`voxel`]);
//! ground segmentation by per-sector line fitting ([`ground`], which says why that method);
//! occupancy by ray casting ([`grid`]); Euclidean clustering in bird's eye view with an upright
//! box per cluster ([`cluster`]). Parameters: [`LidarParams`] from the ROS 2 parameters
//! file `calib/params/lidar.yaml`. The core has no transport (DESIGN.md "A node"); the runtimes
//! host it through `edgefusion_node::NodeCore` ([`ports`]).

pub mod cluster;
pub mod error;
pub mod fuzz_check;
pub mod grid;
pub mod ground;
pub mod node;
pub mod params;
pub mod points;
pub mod ports;
pub mod stats;
pub mod voxel;

pub use error::{LidarError, StartError};
pub use node::{CloudSummary, LidarNode, LidarOutput};
pub use params::{Box3, ClusterParams, GridParams, GroundParams, LidarParams, ParamsError};
pub use stats::{Counter, LidarStats, Stage, StageLatency};
