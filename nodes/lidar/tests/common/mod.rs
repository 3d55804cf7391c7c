//! Shared by the tests and the benchmark: the KITTI fixture frames as messages, and a 360°
//! cloud assembled from the front-camera crops.
#![allow(dead_code)]

use edgefusion_kitti::{KittiFrame, KittiSequence, SequenceOptions};
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::sensor_msgs::{PointCloud2, PointCloudReader};
use edgefusion_msgs::tf2_msgs::TFMessage;
use std::path::PathBuf;

/// KITTI frame 000008 (cloud, `/tf_static` from its calibration, labels in `lidar_top`).
pub fn frame_000008() -> Option<KittiFrame> {
    let dir = edgefusion_testdata::fixture("kitti/000008")?;
    let sequence = KittiSequence::open(&dir, SequenceOptions::default()).expect("frame folder");
    let frame = sequence.frames().next().expect("one frame").expect("loads");
    Some(frame)
}

/// The `/tf_static` the KITTI converter publishes for 000008: `base_link` (KITTI's IMU) ->
/// `lidar_top` from Tr_imu_to_velo, `lidar_top` -> `camera_front_optical`. The lidar-only
/// frames come without calibration; they are KITTI object training frames 0-9 from the same
/// Velodyne/IMU rig, so their tests use this transform too.
pub fn kitti_tf() -> Option<TFMessage> {
    frame_000008().map(|f| f.static_tf.expect("calibrated frame has tf"))
}

fn lidar_only_dir() -> Option<PathBuf> {
    edgefusion_testdata::fixture("kitti_lidar_only")
}

/// `kitti_lidar_only/00000N.bin` as the KITTI converter makes it (frame `lidar_top`).
pub fn lidar_only(n: usize) -> Option<PointCloud2> {
    let path = lidar_only_dir()?.join(format!("{n:06}.bin"));
    let data = edgefusion_kitti::frame::read_lidar(&path).expect("readable fixture");
    Some(edgefusion_kitti::convert::point_cloud(data, Time::from_nanos(1_000_000_000 + n as i64)))
}

/// A 360° cloud of `count` points made of real returns: the fixture clouds are KITTI's
/// front-camera crops (azimuth about ±41°, see fixtures/README.md), so frames 0, 1, 2, ...
/// are turned about the lidar's z axis by 0°, 60°, 120°, ... and concatenated until `count`
/// points (about 6.3 frames for 120 k). Overlaps at the seams are harmless for timing and
/// for the full-circle checks.
pub fn full_circle(count: usize) -> Option<PointCloud2> {
    let mut data = Vec::with_capacity(16 * count);
    let mut k = 0;
    while data.len() < 16 * count {
        let cloud = lidar_only(k % 10)?;
        let reader = PointCloudReader::new(&cloud).expect("valid fixture layout");
        let (sin, cos) = (k as f32 * 60f32.to_radians()).sin_cos();
        for [x, y, z, i] in reader.points() {
            if data.len() >= 16 * count {
                break;
            }
            for v in [cos * x - sin * y, sin * x + cos * y, z, i] {
                data.extend_from_slice(&v.to_le_bytes());
            }
        }
        k += 1;
    }
    Some(edgefusion_kitti::convert::point_cloud(data, Time::from_nanos(2_000_000_000)))
}
