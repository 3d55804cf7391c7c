use crate::builtin_interfaces::Duration;
use crate::geometry_msgs::{Point, Pose, Vector3};
use crate::message::ros_messages;
use crate::sensor_msgs::CompressedImage;
use crate::std_msgs::{ColorRGBA, Header};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
pub struct UVCoordinate {
    pub u: f32,
    pub v: f32,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct MeshFile {
    pub filename: String,
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Marker {
    pub header: Header,
    pub ns: String,
    pub id: i32,
    #[serde(rename = "type")]
    pub type_: i32,
    pub action: i32,
    pub pose: Pose,
    pub scale: Vector3,
    pub color: ColorRGBA,
    pub lifetime: Duration,
    pub frame_locked: bool,
    pub points: Vec<Point>,
    pub colors: Vec<ColorRGBA>,
    pub texture_resource: String,
    pub texture: CompressedImage,
    pub uv_coordinates: Vec<UVCoordinate>,
    pub text: String,
    pub mesh_resource: String,
    pub mesh_file: MeshFile,
    pub mesh_use_embedded_materials: bool,
}

impl Marker {
    pub const ARROW: i32 = 0;
    pub const CUBE: i32 = 1;
    pub const SPHERE: i32 = 2;
    pub const CYLINDER: i32 = 3;
    pub const LINE_STRIP: i32 = 4;
    pub const LINE_LIST: i32 = 5;
    pub const CUBE_LIST: i32 = 6;
    pub const SPHERE_LIST: i32 = 7;
    pub const POINTS: i32 = 8;
    pub const TEXT_VIEW_FACING: i32 = 9;
    pub const MESH_RESOURCE: i32 = 10;
    pub const TRIANGLE_LIST: i32 = 11;
    pub const ARROW_STRIP: i32 = 12;
    pub const ADD: i32 = 0;
    pub const MODIFY: i32 = 0;
    pub const DELETE: i32 = 2;
    pub const DELETEALL: i32 = 3;
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct MarkerArray {
    pub markers: Vec<Marker>,
}

ros_messages!("visualization_msgs"; UVCoordinate, MeshFile, Marker, MarkerArray);
