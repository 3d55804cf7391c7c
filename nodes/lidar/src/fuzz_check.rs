//! The fuzzing entry point (`fuzz/fuzz_targets/point_cloud_cdr.rs`) and its stable replay
//! (`tests/fuzz_corpus.rs`) share this: CDR bytes as they arrive on `/sensing/lidar/points`,
//! decoded, read through `PointCloudReader` and run through the node, checking what must hold
//! whatever the bytes.

use crate::{LidarNode, LidarParams};
use edgefusion_msgs::geometry_msgs::{Quaternion, Transform, TransformStamped, Vector3};
use edgefusion_msgs::sensor_msgs::{PointCloud2, PointCloudReader};
use edgefusion_msgs::std_msgs::Header;
use edgefusion_msgs::tf2_msgs::TFMessage;
use edgefusion_msgs::Message;

/// Frame the checked clouds are put in; the node knows it (1 m up, turned 30° about z).
pub const FUZZ_FRAME: &str = "lidar_top";

/// A node with a small grid (fast per input) that knows `base_link -> lidar_top`.
pub fn fuzz_node() -> LidarNode {
    let mut params = LidarParams::default();
    params.grid.width = 64;
    params.grid.height = 64;
    params.grid.resolution = 0.5;
    params.grid.origin_x = -16.0;
    params.grid.origin_y = -16.0;
    // One worker: the fuzzer runs many small inputs, and one thread keeps runs reproducible.
    params.threads = 1;
    let mut node = match LidarNode::new(params) {
        Ok(node) => node,
        Err(e) => panic!("fuzz node cannot start: {e}"),
    };
    let half = 15f64.to_radians();
    let tf = TFMessage {
        transforms: vec![TransformStamped {
            header: Header::new(Default::default(), "base_link"),
            child_frame_id: FUZZ_FRAME.to_string(),
            transform: Transform {
                translation: Vector3 { x: 0.5, y: 0.0, z: 1.0 },
                rotation: Quaternion { x: 0.0, y: 0.0, z: half.sin(), w: half.cos() },
            },
        }],
    };
    if let Err(e) = node.on_tf_static(&tf) {
        unreachable!("fixed transform is valid: {e}");
    }
    node
}

/// Decodes `bytes` as a CDR PointCloud2 and runs it through the reader and `node`. Panics
/// (what the fuzzer looks for) only when an invariant breaks: a cloud the reader accepts must
/// give an output whose counts add up and whose grid holds only -1, 0 and 100.
pub fn check_cdr_cloud(node: &mut LidarNode, bytes: &[u8]) {
    let Ok(mut cloud) = PointCloud2::decode(bytes) else { return };
    cloud.header.frame_id = FUZZ_FRAME.to_string();
    check_cloud(node, &cloud);
}

/// As [`check_cdr_cloud`] for a decoded cloud (frame must be [`FUZZ_FRAME`]).
pub fn check_cloud(node: &mut LidarNode, cloud: &PointCloud2) {
    let reader = PointCloudReader::new(cloud);
    let result = node.on_cloud(cloud);
    let reader = match (reader, result) {
        (Err(_), Err(_)) => return,
        (Ok(reader), Ok(output)) => {
            let s = output.summary;
            assert_eq!(s.points_in, reader.len());
            assert!(s.non_finite + s.cropped + s.ego + s.voxels <= s.points_in);
            assert_eq!(s.ground + s.obstacles, s.voxels);
            assert_eq!(output.cloud.width as usize, s.obstacles);
            let grid = &output.grid;
            assert_eq!(grid.data.len(), (grid.info.width * grid.info.height) as usize);
            assert!(grid.data.iter().all(|v| matches!(v, -1 | 0 | 100)));
            assert!(PointCloudReader::new(&output.cloud).is_ok());
            if let Some(objects) = &output.objects {
                assert_eq!(objects.objects.len(), s.clusters);
                assert!(objects.objects.iter().all(|o| {
                    let v = [o.center.x, o.center.y, o.center.z, o.size.x, o.size.y, o.size.z];
                    v.iter().all(|x| x.is_finite()) && o.size.x >= o.size.y && o.size.y > 0.0
                }));
            }
            reader
        }
        (reader, result) => {
            panic!("reader and node disagree: {:?} vs {:?}", reader.err(), result.err())
        }
    };
    // Every access path of the reader stays in bounds.
    let mut flat = Vec::new();
    reader.read_xyzi_into(&mut flat);
    assert_eq!(flat.len(), 4 * reader.len());
    assert_eq!(reader.points().count(), reader.len());
    for name in ["ring", "time", "t"] {
        if let Some(field) = reader.field(name) {
            for point in reader.point_bytes().take(64) {
                let _ = (field.read(point), field.read_f64(point));
            }
        }
    }
    let _ = reader.point(reader.len());
}
