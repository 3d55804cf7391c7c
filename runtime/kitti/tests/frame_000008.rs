//! KITTI training frame 000008 against the values in fixtures/README.md, which come from
//! mmdet3d's info file (num_lidar_pts, center_2d), not from this crate.

mod common;

use edgefusion_kitti::convert::{cloud_points, count_points_in_box, rigid_transform};
use edgefusion_kitti::{
    parse_labels, Calibration, KittiFrame, KittiSequence, Layout, SequenceOptions,
};
use edgefusion_msgs::edgefusion::DetectedObject;
use edgefusion_msgs::geometry_msgs::TransformStamped;
use edgefusion_msgs::sensor_msgs::PointField;
use nalgebra::{Matrix3x4, Point3, Quaternion, Translation3, UnitQuaternion, Vector4};
use std::path::PathBuf;

fn frame_dir() -> Option<PathBuf> {
    common::fixtures().map(|f| f.join("kitti/000008"))
}

fn load() -> Option<KittiFrame> {
    let dir = frame_dir()?;
    let sequence = KittiSequence::open(&dir, SequenceOptions::default()).unwrap();
    assert_eq!(sequence.layout(), Layout::FrameFolder);
    assert_eq!(sequence.len(), 1);
    let mut frames: Vec<_> = sequence.frames().collect();
    Some(frames.remove(0).unwrap())
}

#[test]
fn calibration_has_the_seven_matrices_of_the_file() {
    let Some(dir) = frame_dir() else { return };
    let c = Calibration::parse(&dir.join("calib.txt")).unwrap();
    // Spot checks against the text of calib.txt.
    assert_eq!(c.p[0][(0, 0)], 721.5377);
    assert_eq!(c.p[1][(0, 3)], -387.5744);
    assert_eq!(c.p[2][(0, 3)], 44.85728);
    assert_eq!(c.p[2][(1, 3)], 0.2163791);
    assert_eq!(c.p[2][(2, 3)], 0.002745884);
    assert_eq!(c.p[3][(1, 3)], 2.199936);
    assert_eq!(c.r0_rect[(0, 1)], 0.00983776);
    assert_eq!(c.r0_rect[(2, 2)], 0.9999631);
    assert_eq!(c.tr_velo_to_cam[(0, 1)], -0.9999714);
    assert_eq!(c.tr_velo_to_cam[(2, 3)], -0.2717806);
    let imu = c.tr_imu_to_velo.unwrap();
    assert_eq!(imu[(0, 3)], -0.8086759);
    assert_eq!(imu[(2, 3)], -0.7997231);
}

#[test]
fn labels_are_six_cars_and_four_dont_care() {
    let Some(dir) = frame_dir() else { return };
    let labels = parse_labels(&dir.join("label.txt")).unwrap();
    assert_eq!(labels.iter().filter(|l| l.kind == "Car").count(), 6);
    assert_eq!(labels.iter().filter(|l| l.kind == "DontCare").count(), 4);
    let first = &labels[0];
    assert_eq!((first.truncated, first.occluded, first.alpha), (0.88, 3, -0.69));
    assert_eq!(first.bbox, [0.0, 192.37, 402.31, 374.0]);
    assert_eq!(first.dimensions_hwl, [1.60, 1.57, 3.23]);
    assert_eq!(first.location, [-2.70, 1.74, 3.68]);
    assert_eq!((first.rotation_y, first.score), (-1.29, None));
}

#[test]
fn cloud_is_the_bin_file_unchanged() {
    let Some(dir) = frame_dir() else { return };
    let frame = load().unwrap();
    let cloud = frame.cloud.unwrap();
    assert_eq!(cloud.data, std::fs::read(dir.join("lidar.bin")).unwrap());
    assert_eq!((cloud.height, cloud.width), (1, 17_238));
    assert_eq!((cloud.point_step, cloud.row_step), (16, 16 * 17_238));
    assert_eq!(cloud.header.frame_id, "lidar_top");
    assert!(!cloud.is_bigendian);
    assert!(cloud.is_dense);
    let fields: Vec<_> =
        cloud.fields.iter().map(|f| (f.name.as_str(), f.offset, f.datatype, f.count)).collect();
    let f32 = PointField::FLOAT32;
    assert_eq!(
        fields,
        [("x", 0, f32, 1), ("y", 4, f32, 1), ("z", 8, f32, 1), ("intensity", 12, f32, 1)]
    );
}

#[test]
fn image_and_camera_info() {
    let Some(frame) = load() else { return };
    let image = frame.image.unwrap();
    assert_eq!((image.width, image.height, image.encoding.as_str()), (1242, 375, "rgb8"));
    assert_eq!((image.step, image.data.len()), (3 * 1242, 3 * 1242 * 375));
    assert_eq!(image.header.frame_id, "camera_front_optical");
    let info = frame.camera_info.unwrap();
    assert_eq!((info.width, info.height), (1242, 375));
    assert_eq!(info.header.frame_id, "camera_front_optical");
    assert_eq!((info.distortion_model.as_str(), info.d.as_slice()), ("plumb_bob", &[0.0; 5][..]));
    assert_eq!(info.k, [721.5377, 0.0, 609.5593, 0.0, 721.5377, 172.854, 0.0, 0.0, 1.0]);
    assert_eq!(info.r, [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    assert_eq!(info.p[3], 44.85728);
    assert_eq!(info.p[11], 0.002745884);
    // All messages share the frame's stamp (default start: 1 s).
    assert_eq!(frame.stamp_ns, 1_000_000_000);
    assert_eq!((info.header.stamp.sec, info.header.stamp.nanosec), (1, 0));
    assert!(frame.warnings.is_empty());
}

fn transform(tf: &TransformStamped) -> nalgebra::Isometry3<f64> {
    let (t, q) = (&tf.transform.translation, &tf.transform.rotation);
    nalgebra::Isometry3::from_parts(
        Translation3::new(t.x, t.y, t.z),
        UnitQuaternion::new_unchecked(Quaternion::new(q.w, q.x, q.y, q.z)),
    )
}

#[test]
fn ground_truth_point_counts_match_mmdet3d() {
    let Some(frame) = load() else { return };
    let gt = frame.ground_truth.unwrap();
    assert_eq!(gt.header.frame_id, "lidar_top");
    assert_eq!(gt.header.stamp.as_nanos(), frame.stamp_ns);
    let counts: Vec<u32> = gt.objects.iter().map(|o| o.num_points).collect();
    assert_eq!(counts, [1325, 1900, 881, 659, 55, 162]);
    for o in &gt.objects {
        assert_eq!(
            (o.classification, o.label.as_str(), o.score),
            (DetectedObject::CLASS_CAR, "Car", 1.0)
        );
        assert!(o.has_image_box);
        assert!(o.yaw > -std::f64::consts::PI && o.yaw <= std::f64::consts::PI);
    }
    let first = &gt.objects[0];
    // mmdet3d anchors its box at the bottom centre (see convert::ground_truth); a box around the
    // message's exact centre, 1-2 cm away, holds more of the car's near-side and ground points.
    let points = cloud_points(frame.cloud.as_ref().unwrap());
    assert_eq!(count_points_in_box(&points, &first.center, &first.size, first.yaw), 1429);
    assert_eq!(first.image_box, [0.0, 192.37, 402.31, 374.0]);
    assert_eq!((first.size.x, first.size.y, first.size.z), (3.23, 1.57, 1.60));
    assert!((first.yaw - (1.29 - std::f64::consts::FRAC_PI_2)).abs() < 1e-12);
}

#[test]
fn box_centres_project_to_mmdet3d_centre_2d() {
    let Some(frame) = load() else { return };
    let expected = [
        (92.29, 356.95),
        (507.68, 252.20),
        (1063.38, 283.63),
        (666.00, 213.55),
        (768.19, 188.06),
        (918.23, 207.36),
    ];
    let tf = frame.static_tf.unwrap();
    let lidar_to_camera = tf
        .transforms
        .iter()
        .find(|t| t.header.frame_id == "lidar_top" && t.child_frame_id == "camera_front_optical")
        .unwrap();
    // The transform is the camera's pose in lidar_top; its inverse maps lidar points into the camera.
    let camera_from_lidar = transform(lidar_to_camera).inverse();
    let p = Matrix3x4::from_row_slice(&frame.camera_info.unwrap().p);
    for (object, (u, v)) in frame.ground_truth.unwrap().objects.iter().zip(expected) {
        let c = &object.center;
        let in_camera = camera_from_lidar * Point3::new(c.x, c.y, c.z);
        let pixel = p * Vector4::new(in_camera.x, in_camera.y, in_camera.z, 1.0);
        let (pu, pv) = (pixel.x / pixel.z, pixel.y / pixel.z);
        eprintln!("projected ({pu:.4}, {pv:.4}), expected ({u}, {v})");
        assert!(
            (pu - u).abs() < 0.05 && (pv - v).abs() < 0.05,
            "{object:?}: ({pu}, {pv}) vs ({u}, {v})"
        );
    }
}

#[test]
fn static_transforms_are_the_inverted_calibration() {
    let Some(dir) = frame_dir() else { return };
    let calib = Calibration::parse(&dir.join("calib.txt")).unwrap();
    let tf = load().unwrap().static_tf.unwrap();
    let names: Vec<_> = tf
        .transforms
        .iter()
        .map(|t| (t.header.frame_id.as_str(), t.child_frame_id.as_str()))
        .collect();
    assert_eq!(names, [("base_link", "lidar_top"), ("lidar_top", "camera_front_optical")]);
    // The lidar sits 0.81 m ahead of, 0.32 m left of and 0.80 m above KITTI's IMU:
    // the inverse of Tr_imu_to_velo's translation (-0.81, 0.32, -0.80), rotated.
    let t = &tf.transforms[0].transform.translation;
    assert!(
        (t.x - 0.81).abs() < 0.01 && (t.y + 0.32).abs() < 0.02 && (t.z - 0.80).abs() < 0.01,
        "{t:?}"
    );
    // The camera's optical axis (z) points along lidar x; its x axis along lidar -y.
    let camera = transform(&tf.transforms[1]);
    let z = camera.rotation * nalgebra::Vector3::z();
    let x = camera.rotation * nalgebra::Vector3::x();
    assert!(z.x > 0.999 && x.y < -0.999, "{z:?} {x:?}");
    // Nearest-rotation residual of the KITTI matrices, as documented in convert::rigid_transform.
    let (_, _, residual) = rigid_transform(&calib.rect_cam_to_velo());
    eprintln!("lidar_top -> camera_front_optical rotation residual {residual:.3e}");
    assert!(residual < 1e-7);
    let (_, _, residual) =
        rigid_transform(&edgefusion_kitti::calib::pad_transform(&calib.tr_imu_to_velo.unwrap()));
    eprintln!("Tr_imu_to_velo rotation residual {residual:.3e}");
    assert!(residual < 1e-6);
    // The rigid transform moves a point 20 m ahead to within 1 mm of the exact matrix.
    let exact = calib.velo_to_rect_cam() * Vector4::new(20.0, 1.0, -1.0, 1.0);
    let rigid = camera.inverse() * Point3::new(20.0, 1.0, -1.0);
    assert!((exact.xyz() - rigid.coords).norm() < 1e-3);
}

#[test]
fn cloud_points_are_in_the_camera_view() {
    // The fixture is the field-of-view crop; checks cloud_points and the lidar -> image chain.
    let Some(frame) = load() else { return };
    let calib = Calibration::parse(&frame_dir().unwrap().join("calib.txt")).unwrap();
    let chain = calib.p2() * calib.velo_to_rect_cam();
    for [x, y, z] in cloud_points(frame.cloud.as_ref().unwrap()) {
        let pixel = chain * Vector4::new(f64::from(x), f64::from(y), f64::from(z), 1.0);
        let (u, v) = (pixel.x / pixel.z, pixel.y / pixel.z);
        assert!(
            pixel.z > 0.0 && (-1.0..1243.0).contains(&u) && (-1.0..376.0).contains(&v),
            "{u} {v}"
        );
    }
}
