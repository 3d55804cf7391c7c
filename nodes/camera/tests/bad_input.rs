//! Bad inputs made from the real KITTI image: each is dropped with an error naming what is
//! wrong, counted under its reason, and the next good image still goes through.

mod common;

use common::*;
use edgefusion_camera::{CameraError, CameraNode, CameraParams, Counter};
use edgefusion_node::Named;
use std::sync::Arc;

#[test]
fn each_bad_input_is_counted_and_the_next_image_works() {
    let (Some(image), Some(mut node)) = (kitti_image(), node_with_kitti_info()) else { return };
    let good = Arc::new(image.clone());
    let jpeg = encode(&image, image::ImageFormat::Jpeg, 90);

    // A truncated JPEG (a frame cut short in transport).
    let truncated = compressed(&image, "jpeg", jpeg[..jpeg.len() / 2].to_vec());
    let e = node.on_compressed(&truncated).unwrap_err();
    assert!(matches!(e, CameraError::CorruptCompressed { codec: "JPEG", .. }), "{e}");
    assert!(
        e.to_string().starts_with("/sensing/camera/front/image_raw/compressed: JPEG data ("),
        "{e}"
    );
    assert!(node.on_compressed(&compressed(&image, "jpeg", jpeg.clone())).is_ok());
    // Garbage after a JPEG signature, and a PNG cut short.
    let mut garbage = jpeg[..200].to_vec();
    garbage.extend(std::iter::repeat_n(0x55, 5000));
    assert!(matches!(
        node.on_compressed(&compressed(&image, "jpeg", garbage)),
        Err(CameraError::CorruptCompressed { .. })
    ));
    let png = encode(&image, image::ImageFormat::Png, 0);
    let cut = compressed(&image, "png", png[..png.len() - 1000].to_vec());
    assert!(matches!(
        node.on_compressed(&cut),
        Err(CameraError::CorruptCompressed { codec: "PNG", .. })
    ));
    let tiff = compressed(&image, "tiff", jpeg.clone());
    assert!(matches!(node.on_compressed(&tiff), Err(CameraError::UnsupportedFormat { .. })));

    // A size that does not match the CameraInfo (the bottom row missing).
    let short = with_pixels(&image, "rgb8", 3 * 1242, image.data[..3 * 1242 * 374].to_vec());
    let short = Arc::new(edgefusion_msgs::sensor_msgs::Image { height: 374, ..(*short).clone() });
    let e = node.on_image(&short).unwrap_err();
    assert_eq!(
        e.to_string(),
        "/sensing/camera/front/image_raw: image size 1242 x 374 does not match the calibration's \
         1242 x 375 (/sensing/camera/front/camera_info)"
    );
    // Bad step, bad data length, unknown encoding.
    let e = node.on_image(&with_pixels(&image, "rgb8", 3000, image.data.clone())).unwrap_err();
    assert!(matches!(e, CameraError::BadStep { step: 3000, .. }), "{e}");
    let e = node
        .on_image(&with_pixels(&image, "rgb8", 3 * 1242, image.data[1..].to_vec()))
        .unwrap_err();
    assert!(matches!(e, CameraError::BadDataLength { .. }), "{e}");
    let e = node
        .on_image(&with_pixels(&image, "yuv422", 2 * 1242, vec![0; 2 * 1242 * 375]))
        .unwrap_err();
    assert!(matches!(e, CameraError::UnsupportedEncoding { .. }), "{e}");

    let out = node.on_image(&good).unwrap();
    assert!(out.image.data == image.data);
    let stats = node.stats();
    let expected = [
        (Counter::CorruptCompressed, 3),
        (Counter::UnsupportedFormat, 1),
        (Counter::SizeMismatch, 1),
        (Counter::BadStep, 1),
        (Counter::BadDataLength, 1),
        (Counter::UnsupportedEncoding, 1),
        (Counter::Outputs, 2),
        (Counter::ImagesReceived, 5),
        (Counter::CompressedReceived, 5),
    ];
    for (counter, n) in expected {
        assert_eq!(stats.get(counter), n, "{}", counter.name());
    }
}

#[test]
fn absurd_sizes_are_refused_before_decoding() {
    let Some(image) = kitti_image() else { return };
    let mut node =
        CameraNode::new(CameraParams { max_pixels: 100_000, ..Default::default() }).unwrap();
    node.on_camera_info(&kitti_camera_info().unwrap()).unwrap();
    let jpeg = encode(&image, image::ImageFormat::Jpeg, 90);
    let e = node.on_compressed(&compressed(&image, "jpeg", jpeg)).unwrap_err();
    assert!(
        matches!(e, CameraError::TooLarge { width: 1242, height: 375, max_pixels: 100_000, .. }),
        "{e}"
    );
    let e = node.on_image(&Arc::new(image)).unwrap_err();
    assert!(matches!(e, CameraError::TooLarge { .. }));
    assert_eq!(node.stats().get(Counter::TooLarge), 2);
}

#[test]
fn images_before_any_camera_info_are_dropped_and_bad_info_keeps_the_old_one() {
    let (Some(image), Some(info)) = (kitti_image(), kitti_camera_info()) else { return };
    let mut node = CameraNode::new(CameraParams::default()).unwrap();
    let image = Arc::new(image);
    assert!(matches!(node.on_image(&image), Err(CameraError::NoCameraInfo { .. })));
    node.on_camera_info(&info).unwrap();
    let mut bad = info.clone();
    bad.d = vec![0.0; 3];
    let e = node.on_camera_info(&bad).unwrap_err();
    assert!(e.to_string().contains("field 'd'"), "{e}");
    assert!(node.on_image(&image).is_ok(), "the previous calibration is kept");
    // An uncalibrated camera (K = 0) cannot be rectified, but passes with rectify: false.
    let mut uncalibrated = info.clone();
    uncalibrated.k = [0.0; 9];
    node.on_camera_info(&uncalibrated).unwrap();
    assert!(matches!(node.on_image(&image), Err(CameraError::Uncalibrated { .. })));
    let mut raw = CameraNode::new(CameraParams { rectify: false, ..Default::default() }).unwrap();
    raw.on_camera_info(&uncalibrated).unwrap();
    let out = raw.on_image(&image).unwrap();
    assert_eq!(out.info.k, [0.0; 9], "without rectify the input CameraInfo is published");
    // Fisheye is refused when rectifying.
    let mut fisheye = info.clone();
    fisheye.distortion_model = "equidistant".into();
    fisheye.d = vec![0.1, 0.01, 0.0, 0.0];
    node.on_camera_info(&fisheye).unwrap();
    let e = node.on_image(&image).unwrap_err();
    assert!(matches!(e, CameraError::UnsupportedDistortion { .. }), "{e}");
    let s = node.stats();
    let counts = [
        Counter::NoCameraInfo,
        Counter::BadCameraInfo,
        Counter::Uncalibrated,
        Counter::UnsupportedDistortion,
    ];
    assert!(counts.iter().all(|&c| s.get(c) == 1), "{s:?}");
}

/// Damaged JPEG and PNG frames (bytes overwritten, cut anywhere) never panic the node: each is
/// an image or an error, and the intact frame still decodes afterwards.
#[test]
fn damaged_compressed_frames_never_panic() {
    let (Some(image), Some(mut node)) = (kitti_image(), node_with_kitti_info()) else { return };
    for (format, bytes) in [
        ("jpeg", encode(&image, image::ImageFormat::Jpeg, 80)),
        ("png", encode(&image, image::ImageFormat::Png, 0)),
    ] {
        let n = bytes.len();
        // A deterministic spread of positions (header, tables, entropy-coded data, trailer).
        let positions: Vec<usize> = (0..40).map(|i| (i * i * 7919 + i * 31) % n).collect();
        for &at in &positions {
            let mut damaged = bytes.clone();
            for b in &mut damaged[at..(at + 16).min(n)] {
                *b ^= 0xA5;
            }
            let _ = node.on_compressed(&compressed(&image, format, damaged));
            let _ = node.on_compressed(&compressed(&image, format, bytes[..at].to_vec()));
        }
        assert!(node.on_compressed(&compressed(&image, format, bytes)).is_ok(), "{format}");
    }
    assert!(node.stats().get(edgefusion_camera::Counter::CorruptCompressed) > 40);
}
