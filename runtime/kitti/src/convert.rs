//! KITTI data to ROS 2 messages (REP-103 units and axes, REP-105 frame names).
//!
//! Frames: `base_link` is KITTI's IMU (OXTS) frame (x forward, y left, z up), `lidar_top` the
//! Velodyne frame (same axes), `camera_front_optical` the *rectified camera-0* frame (x right,
//! y down, z forward). Projecting a point given in `camera_front_optical` with `CameraInfo.p`
//! (= P2) gives its pixel in image_2, which is why the camera frame is camera 0 and not camera 2:
//! P2 already holds camera 2's offset from camera 0.

use crate::calib::{invert, pad_transform, Calibration};
use crate::error::KittiError;
use crate::labels::Label;
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::edgefusion::{DetectedObject, DetectedObjectArray};
use edgefusion_msgs::geometry_msgs::{Point, Quaternion, Transform, TransformStamped, Vector3};
use edgefusion_msgs::sensor_msgs::point_cloud::PACKED_XYZI_STEP;
use edgefusion_msgs::sensor_msgs::{packed_xyzi, CameraInfo, Image, PointCloud2, PointCloudReader};
use edgefusion_msgs::std_msgs::Header;
use edgefusion_msgs::tf2_msgs::TFMessage;
use nalgebra::{Matrix3, Matrix4, Rotation3, UnitQuaternion, Vector3 as NVector3, Vector4};
use std::f64::consts::PI;
use std::path::Path;

pub const BASE_FRAME: &str = "base_link";
pub const LIDAR_FRAME: &str = "lidar_top";
pub const CAMERA_FRAME: &str = "camera_front_optical";

/// Bytes per KITTI Velodyne point: float32 x, y, z, reflectance.
pub const POINT_STEP: usize = PACKED_XYZI_STEP;

/// A PointCloud2 holding KITTI `.bin` bytes unchanged: they already are little-endian float32
/// x, y, z, intensity (reflectance 0..1), the packed layout. `data.len()` must be a multiple
/// of 16 (checked when the file is read).
pub fn point_cloud(data: Vec<u8>, stamp: Time) -> PointCloud2 {
    packed_xyzi(Header::new(stamp, LIDAR_FRAME), data)
}

/// The x, y, z of a cloud's points, read by the stack's one PointCloud2 reader; empty for a
/// cloud whose layout is invalid.
pub fn cloud_points(cloud: &PointCloud2) -> Vec<[f32; 3]> {
    PointCloudReader::new(cloud)
        .map(|reader| reader.points().map(|[x, y, z, _]| [x, y, z]).collect())
        .unwrap_or_default()
}

/// Decodes a PNG into an Image in `camera_front_optical`: 8-bit RGB as `rgb8`, gray as `mono8`,
/// alpha dropped, palettes expanded and 16-bit samples reduced to 8 bits.
/// `path` is only used in error messages.
pub fn decode_png(bytes: &[u8], path: &Path, stamp: Time) -> Result<Image, KittiError> {
    let png_error = |source| KittiError::Png { path: path.to_path_buf(), source };
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(png_error)?;
    let size = reader.output_buffer_size().ok_or_else(|| KittiError::UnsupportedPng {
        path: path.to_path_buf(),
        message: "image too large".to_string(),
    })?;
    let mut buffer = vec![0; size];
    let info = reader.next_frame(&mut buffer).map_err(png_error)?;
    buffer.truncate(info.buffer_size());
    if info.bit_depth != png::BitDepth::Eight {
        return Err(KittiError::UnsupportedPng {
            path: path.to_path_buf(),
            message: format!("bit depth {:?} after conversion to 8 bits", info.bit_depth),
        });
    }
    let (width, height) = (info.width as usize, info.height as usize);
    let (encoding, channels_out, channels_in) = match info.color_type {
        png::ColorType::Rgb => ("rgb8", 3, 3),
        png::ColorType::Rgba => ("rgb8", 3, 4),
        png::ColorType::Grayscale => ("mono8", 1, 1),
        png::ColorType::GrayscaleAlpha => ("mono8", 1, 2),
        other => {
            return Err(KittiError::UnsupportedPng {
                path: path.to_path_buf(),
                message: format!("colour type {other:?} after palette expansion"),
            })
        }
    };
    let data = if channels_in == channels_out && info.line_size == width * channels_out {
        buffer
    } else {
        // Keep the colour channels of each pixel, row by row (rows may be padded in the buffer).
        let mut out = Vec::with_capacity(width * height * channels_out);
        for row in buffer.chunks(info.line_size).take(height) {
            for pixel in row[..width * channels_in].chunks_exact(channels_in) {
                out.extend_from_slice(&pixel[..channels_out]);
            }
        }
        out
    };
    Ok(Image {
        header: Header::new(stamp, CAMERA_FRAME),
        height: info.height,
        width: info.width,
        encoding: encoding.to_string(),
        is_bigendian: 0,
        step: (width * channels_out) as u32,
        data,
    })
}

/// CameraInfo of image_2 in `camera_front_optical`. The image is already rectified, so there is
/// no distortion (plumb_bob, five zeros) and R is the identity; K is P2's left 3x3 and P is P2.
pub fn camera_info(calib: &Calibration, width: u32, height: u32, stamp: Time) -> CameraInfo {
    let p2 = calib.p2();
    let mut k = [0.0; 9];
    let mut p = [0.0; 12];
    for r in 0..3 {
        for c in 0..4 {
            p[4 * r + c] = p2[(r, c)];
            if c < 3 {
                k[3 * r + c] = p2[(r, c)];
            }
        }
    }
    CameraInfo {
        header: Header::new(stamp, CAMERA_FRAME),
        height,
        width,
        distortion_model: "plumb_bob".to_string(),
        d: vec![0.0; 5],
        k,
        r: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        p,
        ..Default::default()
    }
}

/// A homogeneous 4x4 made rigid: KITTI's rotation blocks are products of rounded numbers and
/// are not exactly orthonormal, so the rotation becomes the nearest rotation matrix (nalgebra's
/// iterative `Rotation3::from_matrix`); the translation is kept. Also returns the residual, the
/// largest absolute element of (3x3 block − rotation): 2.3e-8 for frame 000008's lidar -> camera
/// and 4.2e-8 for its Tr_imu_to_velo, i.e. a few micrometres at 100 m range.
pub fn rigid_transform(m: &Matrix4<f64>) -> (UnitQuaternion<f64>, NVector3<f64>, f64) {
    let block: Matrix3<f64> = m.fixed_view::<3, 3>(0, 0).into_owned();
    let rotation = Rotation3::from_matrix(&block);
    let residual = (block - rotation.matrix()).abs().max();
    let translation = m.fixed_view::<3, 1>(0, 3).into_owned();
    (UnitQuaternion::from_rotation_matrix(&rotation), translation, residual)
}

fn transform_stamped(
    parent: &str,
    child: &str,
    pose_of_child: &Matrix4<f64>,
    stamp: Time,
) -> TransformStamped {
    let (q, t, residual) = rigid_transform(pose_of_child);
    tracing::trace!("{parent} -> {child}: rotation made orthonormal, residual {residual:.2e}");
    TransformStamped {
        header: Header::new(stamp, parent),
        child_frame_id: child.to_string(),
        transform: Transform {
            translation: Vector3 { x: t.x, y: t.y, z: t.z },
            rotation: Quaternion { x: q.i, y: q.j, z: q.k, w: q.w },
        },
    }
}

/// Static transforms of a frame: `base_link -> lidar_top` (inverse of Tr_imu_to_velo, identity
/// without it or without calibration) and, with calibration, `lidar_top -> camera_front_optical`
/// (inverse of R0_rect · Tr_velo_to_cam). Each is the pose of the child in the parent frame.
pub fn static_transforms(calib: Option<&Calibration>, stamp: Time) -> TFMessage {
    let imu_to_velo = calib.and_then(|c| c.tr_imu_to_velo.as_ref());
    let lidar_in_base = imu_to_velo.map_or_else(Matrix4::identity, |m| invert(&pad_transform(m)));
    let mut transforms = vec![transform_stamped(BASE_FRAME, LIDAR_FRAME, &lidar_in_base, stamp)];
    if let Some(calib) = calib {
        transforms.push(transform_stamped(
            LIDAR_FRAME,
            CAMERA_FRAME,
            &calib.rect_cam_to_velo(),
            stamp,
        ));
    }
    TFMessage { transforms }
}

/// `DetectedObject::CLASS_*` of a KITTI type.
pub fn classification(kind: &str) -> u8 {
    match kind {
        "Car" | "Van" => DetectedObject::CLASS_CAR,
        "Truck" => DetectedObject::CLASS_TRUCK,
        "Pedestrian" | "Person_sitting" => DetectedObject::CLASS_PEDESTRIAN,
        "Cyclist" => DetectedObject::CLASS_CYCLIST,
        _ => DetectedObject::CLASS_UNKNOWN, // Tram, Misc, and anything unknown
    }
}

/// Angle in (-π, π].
pub fn normalize_angle(angle: f64) -> f64 {
    let a = angle.rem_euclid(2.0 * PI);
    if a > PI {
        a - 2.0 * PI
    } else {
        a
    }
}

/// Ground-truth boxes in `lidar_top`. DontCare lines are skipped.
///
/// A KITTI box is upright in the rectified camera frame, whose vertical axis is tilted by about
/// 0.85° from lidar z, while a DetectedObject is upright in `lidar_top`; two fields therefore
/// follow two references:
/// - `center` is the exact centre of the labelled box: the label location moved up by h/2 (camera
///   y points down), mapped with the inverse of R0_rect · Tr_velo_to_cam. Projected into image_2
///   it lands on KITTI's/mmdet3d's `center_2d`.
/// - `num_points` is mmdet3d's `num_lidar_pts`: points strictly inside the box that mmdet3d builds,
///   i.e. the label's *bottom* centre mapped into the lidar frame and the box raised from there
///   along lidar z. That box sits about h/2 · sin(0.85°) (1–2 cm) from `center`, and the
///   difference matters: points on the ground and on the near side of a car lie on its faces
///   (000008 box 0: 1325 points in mmdet3d's box, 1429 in a box around `center`). 0 without a cloud.
///
/// yaw = -rotation_y - π/2 in (-π, π]; size = (l, w, h); score 1 unless the label has a score
/// column; `modalities` 0: ground truth comes from no sensor pipeline.
pub fn ground_truth(
    labels: &[Label],
    calib: &Calibration,
    cloud: Option<&PointCloud2>,
    stamp: Time,
) -> DetectedObjectArray {
    let cam_to_velo = calib.rect_cam_to_velo();
    let points = cloud.map(cloud_points).unwrap_or_default();
    let objects = labels
        .iter()
        .filter(|label| !label.is_dont_care())
        .map(|label| {
            let [h, w, l] = label.dimensions_hwl;
            let [x, y, z] = label.location;
            let centre = cam_to_velo * Vector4::new(x, y - h / 2.0, z, 1.0);
            let bottom = cam_to_velo * Vector4::new(x, y, z, 1.0);
            let counting_centre = Point { x: bottom.x, y: bottom.y, z: bottom.z + h / 2.0 };
            let centre = Point { x: centre.x, y: centre.y, z: centre.z };
            let size = Vector3 { x: l, y: w, z: h };
            let yaw = normalize_angle(-label.rotation_y - PI / 2.0);
            let b = label.bbox;
            DetectedObject {
                center: centre,
                size,
                yaw,
                classification: classification(&label.kind),
                label: label.kind.clone(),
                score: label.score.unwrap_or(1.0) as f32,
                num_points: count_points_in_box(&points, &counting_centre, &size, yaw),
                has_image_box: true,
                image_box: [b[0] as f32, b[1] as f32, b[2] as f32, b[3] as f32],
                ..Default::default()
            }
        })
        .collect();
    DetectedObjectArray { header: Header::new(stamp, LIDAR_FRAME), objects }
}

/// Points inside an upright box (centre, size = length along yaw, width, height). Boundaries
/// are excluded, as in mmdet3d's `points_in_rbbox`.
pub fn count_points_in_box(points: &[[f32; 3]], centre: &Point, size: &Vector3, yaw: f64) -> u32 {
    let (sin, cos) = yaw.sin_cos();
    let (half_l, half_w, half_h) = (size.x / 2.0, size.y / 2.0, size.z / 2.0);
    let inside = |p: &&[f32; 3]| {
        let (dx, dy, dz) =
            (f64::from(p[0]) - centre.x, f64::from(p[1]) - centre.y, f64::from(p[2]) - centre.z);
        let along = dx * cos + dy * sin;
        let across = -dx * sin + dy * cos;
        along.abs() < half_l && across.abs() < half_w && dz.abs() < half_h
    };
    points.iter().filter(inside).count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angles_normalise_to_half_open_interval() {
        assert_eq!(normalize_angle(PI), PI);
        assert_eq!(normalize_angle(-PI), PI);
        assert!((normalize_angle(3.0 * PI / 2.0) + PI / 2.0).abs() < 1e-12);
        assert!((normalize_angle(-0.3) + 0.3).abs() < 1e-12);
    }

    #[test]
    fn classes() {
        assert_eq!(classification("Van"), DetectedObject::CLASS_CAR);
        assert_eq!(classification("Person_sitting"), DetectedObject::CLASS_PEDESTRIAN);
        assert_eq!(classification("Cyclist"), DetectedObject::CLASS_CYCLIST);
        assert_eq!(classification("Truck"), DetectedObject::CLASS_TRUCK);
        assert_eq!(classification("Tram"), DetectedObject::CLASS_UNKNOWN);
        assert_eq!(classification("Misc"), DetectedObject::CLASS_UNKNOWN);
    }

    #[test]
    fn box_counts_respect_yaw() {
        let centre = Point { x: 0.0, y: 0.0, z: 0.0 };
        let size = Vector3 { x: 4.0, y: 1.0, z: 2.0 };
        let points = [[1.5, 0.0, 0.0], [0.0, 1.5, 0.0], [0.0, 0.0, 1.5]];
        assert_eq!(count_points_in_box(&points, &centre, &size, 0.0), 1);
        assert_eq!(count_points_in_box(&points, &centre, &size, PI / 2.0), 1);
        assert_eq!(count_points_in_box(&points[..1], &centre, &size, PI / 2.0), 0);
    }

    fn encode_png(
        width: u32,
        height: u32,
        color: png::ColorType,
        depth: png::BitDepth,
        data: &[u8],
    ) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(color);
        encoder.set_depth(depth);
        if color == png::ColorType::Indexed {
            encoder.set_palette(vec![10, 20, 30, 40, 50, 60]);
        }
        encoder.write_header().unwrap().write_image_data(data).unwrap();
        out
    }

    fn decode(bytes: &[u8]) -> Image {
        decode_png(bytes, Path::new("test.png"), Time::default()).unwrap()
    }

    #[test]
    fn png_colour_types_become_rgb8_or_mono8() {
        use png::{BitDepth::*, ColorType::*};
        let rgba = decode(&encode_png(2, 1, Rgba, Eight, &[1, 2, 3, 255, 4, 5, 6, 0]));
        assert_eq!(
            (rgba.encoding.as_str(), rgba.step, rgba.data.as_slice()),
            ("rgb8", 6, &[1, 2, 3, 4, 5, 6][..])
        );
        let gray = decode(&encode_png(3, 2, Grayscale, Eight, &[1, 2, 3, 4, 5, 6]));
        assert_eq!((gray.encoding.as_str(), gray.step, gray.data.len()), ("mono8", 3, 6));
        let gray_alpha = decode(&encode_png(2, 1, GrayscaleAlpha, Eight, &[7, 255, 9, 0]));
        assert_eq!(
            (gray_alpha.encoding.as_str(), gray_alpha.data.as_slice()),
            ("mono8", &[7, 9][..])
        );
        // 16-bit samples keep their high byte.
        let deep = decode(&encode_png(1, 1, Rgb, Sixteen, &[1, 99, 2, 99, 3, 99]));
        assert_eq!((deep.encoding.as_str(), deep.data.as_slice()), ("rgb8", &[1, 2, 3][..]));
        let indexed = decode(&encode_png(2, 1, Indexed, Eight, &[1, 0]));
        assert_eq!(
            (indexed.encoding.as_str(), indexed.data.as_slice()),
            ("rgb8", &[40, 50, 60, 10, 20, 30][..])
        );
        // Sub-byte gray expands to one byte per pixel.
        let bits = decode(&encode_png(3, 1, Grayscale, One, &[0b1010_0000]));
        assert_eq!((bits.encoding.as_str(), bits.step, bits.data.len()), ("mono8", 3, 3));
        assert_eq!((bits.width, bits.height, bits.header.frame_id.as_str()), (3, 1, CAMERA_FRAME));
    }
}
