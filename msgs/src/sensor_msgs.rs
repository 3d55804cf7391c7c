//! `sensor_msgs`; [`point_cloud`] reads the points of a [`PointCloud2`].

pub mod point_cloud;
pub use point_cloud::{packed_xyzi, PointCloudError, PointCloudReader};

use crate::message::ros_messages;
use crate::std_msgs::Header;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Image {
    pub header: Header,
    pub height: u32,
    pub width: u32,
    /// `rgb8`, `bgr8`, `mono8`, ... (sensor_msgs/image_encodings.hpp)
    pub encoding: String,
    pub is_bigendian: u8,
    /// Row length in bytes.
    pub step: u32,
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct CompressedImage {
    pub header: Header,
    /// `jpeg`, `png`, or the image_transport form `rgb8; jpeg compressed bgr8`.
    pub format: String,
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RegionOfInterest {
    pub x_offset: u32,
    pub y_offset: u32,
    pub height: u32,
    pub width: u32,
    pub do_rectify: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct CameraInfo {
    pub header: Header,
    pub height: u32,
    pub width: u32,
    /// `plumb_bob`, `rational_polynomial`, `equidistant`, or empty.
    pub distortion_model: String,
    pub d: Vec<f64>,
    /// Intrinsics of the raw image, row-major 3x3.
    pub k: [f64; 9],
    /// Rectification rotation, row-major 3x3.
    pub r: [f64; 9],
    /// Projection of the rectified image, row-major 3x4.
    pub p: [f64; 12],
    pub binning_x: u32,
    pub binning_y: u32,
    pub roi: RegionOfInterest,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct PointField {
    pub name: String,
    pub offset: u32,
    pub datatype: u8,
    pub count: u32,
}

impl PointField {
    pub const INT8: u8 = 1;
    pub const UINT8: u8 = 2;
    pub const INT16: u8 = 3;
    pub const UINT16: u8 = 4;
    pub const INT32: u8 = 5;
    pub const UINT32: u8 = 6;
    pub const FLOAT32: u8 = 7;
    pub const FLOAT64: u8 = 8;

    pub fn new(name: &str, offset: u32, datatype: u8, count: u32) -> Self {
        Self { name: name.to_string(), offset, datatype, count }
    }

    /// Size in bytes of one element of `datatype`, or None for an unknown datatype.
    pub fn datatype_size(datatype: u8) -> Option<u32> {
        match datatype {
            Self::INT8 | Self::UINT8 => Some(1),
            Self::INT16 | Self::UINT16 => Some(2),
            Self::INT32 | Self::UINT32 | Self::FLOAT32 => Some(4),
            Self::FLOAT64 => Some(8),
            _ => None,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct PointCloud2 {
    pub header: Header,
    pub height: u32,
    pub width: u32,
    pub fields: Vec<PointField>,
    pub is_bigendian: bool,
    pub point_step: u32,
    pub row_step: u32,
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
    pub is_dense: bool,
}

ros_messages!("sensor_msgs";
    Image, CompressedImage, RegionOfInterest, CameraInfo, PointField, PointCloud2);
