//! Broken or incomplete input: errors name the file (and the line for text files), missing
//! files degrade the frame instead of failing it, and nothing panics.

mod common;

use common::{fixtures, link};
use edgefusion_kitti::{KittiError, KittiSequence, SequenceOptions};
use std::path::{Path, PathBuf};

/// A frame folder in a temporary directory with the fixture's files linked, except those listed
/// in `replace` (written with the given content) and `omit`.
fn frame_folder(
    fixtures: &Path,
    replace: &[(&str, Vec<u8>)],
    omit: &[&str],
) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("000008");
    std::fs::create_dir(&dir).unwrap();
    for name in ["lidar.bin", "image.png", "calib.txt", "label.txt"] {
        if omit.contains(&name) {
            continue;
        }
        match replace.iter().find(|(n, _)| *n == name) {
            Some((_, content)) => std::fs::write(dir.join(name), content).unwrap(),
            None => link(&fixtures.join("kitti/000008").join(name), &dir.join(name)),
        }
    }
    (tmp, dir)
}

fn fixture_text(fixtures: &Path, name: &str) -> String {
    std::fs::read_to_string(fixtures.join("kitti/000008").join(name)).unwrap()
}

fn load_error(dir: &Path) -> KittiError {
    let sequence = KittiSequence::open(dir, SequenceOptions::default()).unwrap();
    sequence.frame(0).unwrap_err()
}

#[test]
fn missing_calibration_keeps_lidar_and_image_and_says_what_is_lost() {
    let Some(fixtures) = fixtures() else { return };
    let (_tmp, dir) = frame_folder(&fixtures, &[], &["calib.txt"]);
    let frame = KittiSequence::open(&dir, SequenceOptions::default()).unwrap().frame(0).unwrap();
    assert_eq!(frame.cloud.as_ref().unwrap().width, 17_238);
    assert!(frame.image.is_some());
    assert!(frame.camera_info.is_none() && frame.ground_truth.is_none());
    // Only base_link -> lidar_top (identity): there is no lidar -> camera calibration.
    assert_eq!(frame.static_tf.as_ref().unwrap().transforms.len(), 1);
    assert_eq!(frame.warnings.len(), 1);
    assert_eq!(frame.warnings[0].path, dir.join("calib.txt"));
    let message = frame.warnings[0].to_string();
    assert!(
        message.contains("calib.txt: missing") && message.contains("no camera_info"),
        "{message}"
    );
}

#[test]
fn calibration_line_with_eleven_numbers() {
    let Some(fixtures) = fixtures() else { return };
    let calib = fixture_text(&fixtures, "calib.txt").replace(" -2.717806000000e-01", "");
    let (_tmp, dir) = frame_folder(&fixtures, &[("calib.txt", calib.into_bytes())], &[]);
    let err = load_error(&dir);
    let expected = format!(
        "{}:6: Tr_velo_to_cam has 11 numbers, expected 12",
        dir.join("calib.txt").display()
    );
    assert_eq!(err.to_string(), expected);
    assert!(matches!(err, KittiError::Syntax { line: 6, .. }));
}

#[test]
fn label_line_with_too_few_columns() {
    let Some(fixtures) = fixtures() else { return };
    let labels =
        fixture_text(&fixtures, "label.txt").replace("3.08 3.81 1.64 6.15 -1.31", "3.08 3.81");
    let (_tmp, dir) = frame_folder(&fixtures, &[("label.txt", labels.into_bytes())], &[]);
    let err = load_error(&dir).to_string();
    let expected = format!("{}:3: 12 columns, expected 15", dir.join("label.txt").display());
    assert!(err.starts_with(&expected), "{err}");
}

#[test]
fn lidar_file_with_a_partial_point() {
    let Some(fixtures) = fixtures() else { return };
    let mut scan = std::fs::read(fixtures.join("kitti/000008/lidar.bin")).unwrap();
    scan.truncate(16 * 1000 + 7);
    let (_tmp, dir) = frame_folder(&fixtures, &[("lidar.bin", scan)], &[]);
    let err = load_error(&dir);
    assert!(matches!(err, KittiError::LidarSize { len: 16_007, .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("{}: size 16007 bytes", dir.join("lidar.bin").display())),
        "{message}"
    );
}

#[test]
fn corrupt_and_truncated_png() {
    let Some(fixtures) = fixtures() else { return };
    let mut png = std::fs::read(fixtures.join("kitti/000008/image.png")).unwrap();
    png.truncate(5000);
    let not_png = b"this is not a PNG file".to_vec();
    let mut flipped = std::fs::read(fixtures.join("kitti/000008/image.png")).unwrap();
    for byte in &mut flipped[2000..2100] {
        *byte ^= 0x5a; // breaks a chunk CRC / the zlib stream
    }
    for content in [png, not_png, flipped] {
        let (_tmp, dir) = frame_folder(&fixtures, &[("image.png", content)], &[]);
        let err = load_error(&dir);
        assert!(matches!(err, KittiError::Png { .. }), "{err}");
        let message = err.to_string();
        assert!(
            message.starts_with(&format!(
                "{}: PNG decoding failed: ",
                dir.join("image.png").display()
            )),
            "{message}"
        );
    }
}

#[test]
fn a_bad_frame_does_not_stop_the_sequence() {
    let Some(fixtures) = fixtures() else { return };
    let tmp = tempfile::tempdir().unwrap();
    link(&fixtures.join("kitti_lidar_only/000000.bin"), &tmp.path().join("000000.bin"));
    std::fs::write(tmp.path().join("000001.bin"), [0u8; 20]).unwrap();
    link(&fixtures.join("kitti_lidar_only/000002.bin"), &tmp.path().join("000002.bin"));
    let sequence = KittiSequence::open(tmp.path(), SequenceOptions::default()).unwrap();
    let results: Vec<_> = sequence.frames().collect();
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[2].is_ok());
    assert!(results[1].as_ref().unwrap_err().to_string().contains("000001.bin: size 20 bytes"));
    assert_eq!(results[2].as_ref().unwrap().stamp_ns, 1_200_000_000);
}

#[test]
fn labels_without_lidar_give_boxes_without_point_counts() {
    let Some(fixtures) = fixtures() else { return };
    let (_tmp, dir) = frame_folder(&fixtures, &[], &["lidar.bin"]);
    let frame = KittiSequence::open(&dir, SequenceOptions::default()).unwrap().frame(0).unwrap();
    let objects = &frame.ground_truth.as_ref().unwrap().objects;
    assert_eq!(objects.len(), 6);
    assert!(objects.iter().all(|o| o.num_points == 0));
    assert_eq!(frame.warnings.len(), 1);
    assert_eq!(frame.warnings[0].path, dir.join("lidar.bin"));
}
