//! The four directory layouts KittiSequence accepts, built from the fixtures in temporary
//! directories (layout (a), the single frame folder, is fixtures/kitti/000008 itself).

mod common;

use common::{fixtures, link};
use edgefusion_kitti::{KittiError, KittiFrame, KittiSequence, Layout, SequenceOptions};
use edgefusion_msgs::geometry_msgs::{Quaternion, Vector3};
use std::path::Path;

fn load_all(sequence: &KittiSequence) -> Vec<KittiFrame> {
    sequence.frames().collect::<Result<_, _>>().unwrap()
}

fn assert_identity_base_to_lidar_only(frame: &KittiFrame) {
    let tf = frame.static_tf.as_ref().unwrap();
    assert_eq!(tf.transforms.len(), 1, "{}", frame.id);
    let t = &tf.transforms[0];
    assert_eq!((t.header.frame_id.as_str(), t.child_frame_id.as_str()), ("base_link", "lidar_top"));
    assert_eq!(t.transform.translation, Vector3::default());
    assert_eq!(t.transform.rotation, Quaternion::default());
    assert_eq!(t.header.stamp.as_nanos(), frame.stamp_ns);
}

#[test]
fn lidar_only_folder() {
    let Some(fixtures) = fixtures() else { return };
    let sequence =
        KittiSequence::open(fixtures.join("kitti_lidar_only"), SequenceOptions::default()).unwrap();
    assert_eq!(sequence.layout(), Layout::LidarFolder);
    assert_eq!(sequence.len(), 10);
    let frames = load_all(&sequence);
    let ids: Vec<_> = frames.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "000000", "000001", "000002", "000003", "000004", "000005", "000006", "000007",
            "000008", "000009"
        ]
    );
    for (i, frame) in frames.iter().enumerate() {
        assert_eq!(frame.stamp_ns, 1_000_000_000 + i as i64 * 100_000_000);
        let cloud = frame.cloud.as_ref().unwrap();
        assert_eq!(cloud.header.stamp.as_nanos(), frame.stamp_ns);
        assert!((17_238..=20_285).contains(&cloud.width), "{}", cloud.width);
        assert!(cloud.is_dense);
        assert!(
            frame.image.is_none() && frame.camera_info.is_none() && frame.ground_truth.is_none()
        );
        assert!(frame.warnings.is_empty());
        assert_identity_base_to_lidar_only(frame);
    }
    let same_scan = std::fs::read(fixtures.join("kitti/000008/lidar.bin")).unwrap();
    assert_eq!(frames[8].cloud.as_ref().unwrap().data, same_scan);
}

#[test]
fn folder_of_frame_folders() {
    let Some(fixtures) = fixtures() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // "b_full" is the whole fixture frame, "a_lidar" a scan alone; "notes" is not a frame.
    link(&fixtures.join("kitti/000008"), &tmp.path().join("b_full"));
    link(&fixtures.join("kitti_lidar_only/000001.bin"), &tmp.path().join("a_lidar/lidar.bin"));
    std::fs::create_dir(tmp.path().join("notes")).unwrap();
    std::fs::write(tmp.path().join("notes/readme.txt"), "not a frame").unwrap();

    let options = SequenceOptions { rate_hz: 20.0, start_ns: 5_000_000_000, ..Default::default() };
    let sequence = KittiSequence::open(tmp.path(), options).unwrap();
    assert_eq!(sequence.layout(), Layout::FrameFolders);
    let frames = load_all(&sequence);
    let ids: Vec<_> = frames.iter().map(|f| (f.id.as_str(), f.stamp_ns)).collect();
    assert_eq!(ids, [("a_lidar", 5_000_000_000), ("b_full", 5_050_000_000)]);
    assert_identity_base_to_lidar_only(&frames[0]);
    assert!(frames[0].warnings.is_empty());
    let full = &frames[1];
    assert_eq!(full.ground_truth.as_ref().unwrap().objects.len(), 6);
    assert_eq!(full.static_tf.as_ref().unwrap().transforms.len(), 2);
    assert!(full.image.is_some() && full.camera_info.is_some());
    assert_eq!(full.image.as_ref().unwrap().header.stamp.as_nanos(), 5_050_000_000);
}

/// training/{velodyne,image_2,calib,label_2}: 000008 complete, 000003 and 000009 scans only.
fn build_split(fixtures: &Path, root: &Path, velodyne: &str) {
    let frame = fixtures.join("kitti/000008");
    link(&frame.join("lidar.bin"), &root.join(velodyne).join("000008.bin"));
    link(&frame.join("image.png"), &root.join("image_2/000008.png"));
    link(&frame.join("calib.txt"), &root.join("calib/000008.txt"));
    link(&frame.join("label.txt"), &root.join("label_2/000008.txt"));
    for id in ["000003", "000009"] {
        link(
            &fixtures.join(format!("kitti_lidar_only/{id}.bin")),
            &root.join(velodyne).join(format!("{id}.bin")),
        );
    }
}

#[test]
fn kitti_as_shipped_with_frame_range() {
    let Some(fixtures) = fixtures() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let training = tmp.path().join("training");
    build_split(&fixtures, &training, "velodyne");

    let sequence = KittiSequence::open(&training, SequenceOptions::default()).unwrap();
    assert_eq!(sequence.layout(), Layout::KittiSplit);
    let frames = load_all(&sequence);
    let ids: Vec<_> = frames.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["000003", "000008", "000009"]);
    assert_identity_base_to_lidar_only(&frames[0]);
    assert!(frames.iter().all(|f| f.warnings.is_empty()));

    // The same frame through the single-folder layout gives the same messages, but for the stamp.
    let single =
        KittiSequence::open(fixtures.join("kitti/000008"), SequenceOptions::default()).unwrap();
    let mut expected = single.frame(0).unwrap();
    let mut got = frames[1].clone();
    got.stamp_ns = expected.stamp_ns;
    expected.id.clear();
    got.id.clear();
    restamp(&mut got, expected.stamp_ns);
    assert_eq!(got, expected);

    let options = SequenceOptions { first_id: Some(4), last_id: Some(8), ..Default::default() };
    let sequence = KittiSequence::open(&training, options).unwrap();
    let frames = load_all(&sequence);
    assert_eq!(frames.len(), 1);
    assert_eq!((frames[0].id.as_str(), frames[0].stamp_ns), ("000008", 1_000_000_000));
    assert_eq!(frames[0].ground_truth.as_ref().unwrap().objects.len(), 6);
}

fn restamp(frame: &mut KittiFrame, stamp_ns: i64) {
    let stamp = edgefusion_msgs::builtin_interfaces::Time::from_nanos(stamp_ns);
    frame.cloud.iter_mut().for_each(|m| m.header.stamp = stamp);
    frame.image.iter_mut().for_each(|m| m.header.stamp = stamp);
    frame.camera_info.iter_mut().for_each(|m| m.header.stamp = stamp);
    frame.ground_truth.iter_mut().for_each(|m| m.header.stamp = stamp);
    frame.static_tf.iter_mut().flat_map(|m| &mut m.transforms).for_each(|t| t.header.stamp = stamp);
}

#[test]
fn velodyne_reduced_stands_in_for_velodyne() {
    let Some(fixtures) = fixtures() else { return };
    let tmp = tempfile::tempdir().unwrap();
    build_split(&fixtures, tmp.path(), "velodyne_reduced");
    let sequence = KittiSequence::open(tmp.path(), SequenceOptions::default()).unwrap();
    let frames = load_all(&sequence);
    assert_eq!(frames.len(), 3);
    assert_eq!(frames[1].cloud.as_ref().unwrap().width, 17_238);
    assert_eq!(frames[1].ground_truth.as_ref().unwrap().objects[0].num_points, 1325);
}

#[test]
fn rejects_what_is_not_kitti_and_bad_options() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("readme.txt"), "hello").unwrap();
    let err = KittiSequence::open(tmp.path(), SequenceOptions::default()).unwrap_err();
    assert!(matches!(err, KittiError::NotKittiData { .. }), "{err}");
    assert!(err.to_string().contains(&tmp.path().display().to_string()));

    let err =
        KittiSequence::open(tmp.path().join("absent"), SequenceOptions::default()).unwrap_err();
    assert!(err.to_string().contains("absent"), "{err}");

    let options = SequenceOptions { rate_hz: 0.0, ..Default::default() };
    let err = KittiSequence::open(tmp.path(), options).unwrap_err();
    assert!(matches!(err, KittiError::InvalidOptions(_)), "{err}");
}
