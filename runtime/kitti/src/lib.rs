//! KITTI object-detection data (Velodyne scans, image_2, calibration, label_2) as ROS 2 messages.
//!
//! [`KittiSequence::open`] accepts a single frame folder (`lidar.bin, image.png, calib.txt,
//! label.txt`), a folder of such folders, KITTI as shipped (`training/` with `velodyne/`,
//! `image_2/`, `calib/`, `label_2/`) or a folder of `.bin` scans, and
//! [`KittiSequence::frames`] converts frame after frame into a [`KittiFrame`] of messages
//! (PointCloud2, Image, CameraInfo, TFMessage, DetectedObjectArray). Writing them anywhere
//! (bag, bus) is the caller's business.
//!
//! Conventions (DESIGN.md): REP-103 axes and units, REP-105 frame names `base_link` (KITTI's
//! IMU), `lidar_top` (Velodyne), `camera_front_optical` (rectified camera 0, see [`convert`]).

pub mod calib;
pub mod convert;
pub mod error;
pub mod frame;
pub mod labels;
pub mod sequence;

pub use calib::Calibration;
pub use error::{KittiError, MissingFile};
pub use frame::{FrameFiles, KittiFrame};
pub use labels::{parse_labels, Label};
pub use sequence::{KittiSequence, Layout, SequenceOptions, DEFAULT_START_NS};
