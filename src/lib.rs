//! The `edgefusion` command line: bag tools (info, play, record, convert, reindex) now; the
//! runner for the whole stack later. Each command is a module; `main.rs` only parses.

pub mod bag_echo;
pub mod bag_info;
pub mod convert;
pub mod eval;
pub mod launch_plan;
pub mod nodes;
pub mod progress;
pub mod replay;
#[cfg(feature = "ros2")]
pub mod ros2_bag;
pub mod run;
pub mod topics;
