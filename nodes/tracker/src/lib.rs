//! Tracking and late fusion for the fusion node, without transport (DESIGN.md "A node"):
//!
//! - [`Tracker`]: multi-object tracking over the model's per-frame detections
//!   (`DetectedObjectArray` in `base_link`): constant-velocity Kalman filter, Mahalanobis gating,
//!   global assignment, tentative → confirmed (M of N) → deleted (misses, covariance growth),
//!   stable track ids, velocity and covariance out.
//! - [`LateFusion`]: tracked local objects + `V2xObjectArray` (same frame) → one object list
//!   for the planner; each fused object lists its modalities, V2X-only objects are kept with
//!   their own uncertainty, reports of one vehicle from several senders are merged.
//!
//! Both take their parameters from the fusion node's ROS 2 YAML ([`TrackingParams`]) and count
//! what they drop ([`Stats`], [`Counter`]).

pub mod assignment;
pub mod geometry;
pub mod kalman;
pub mod late_fusion;
pub mod params;
pub mod stats;
pub mod tracker;

pub use late_fusion::{LateFusion, LateFusionError};
pub use params::{LateFusionParams, ParamsError, TrackerParams, TrackingParams};
pub use stats::{Counter, Stats};
pub use tracker::{Track, TrackStatus, Tracker, TrackerError};
