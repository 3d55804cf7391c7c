//! `edgefusion eval`: runs the fusion node over a converted KITTI bag and scores its objects
//! against the labels in the same bag.
//!
//! - [`geometry`]: 2D IoU, oriented BEV IoU and centre error;
//! - [`matching`]: detections to labels, per-class tallies;
//! - [`precision`]: AP|R40 from the tallies;
//! - [`stats`]: error summaries and latency;
//! - [`evaluate`]: the node driven over the bag, one model after another;
//! - [`frames`]: the bag read back frame by frame;
//! - [`report`]: the results as JSON or a table.

mod evaluate;
pub mod frames;
pub mod geometry;
pub mod matching;
pub mod precision;
pub mod report;
pub mod stats;

pub use evaluate::{evaluate, EvalOptions};
