//! KITTI frame 000008 (the fixture, never copied) as the camera node's inputs.
#![allow(dead_code)]

use edgefusion_camera::{CameraNode, CameraParams};
use edgefusion_kitti::convert;
use edgefusion_kitti::Calibration;
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::sensor_msgs::{CameraInfo, CompressedImage, Image};
use std::path::PathBuf;
use std::sync::Arc;

pub const STAMP: Time = Time { sec: 1_700_000_000, nanosec: 250_000_000 };

/// The fixture folder, or None (skip) outside CI when fixtures are absent.
pub fn frame_dir() -> Option<PathBuf> {
    edgefusion_testdata::fixture("kitti/000008")
}

/// image.png decoded by the KITTI converter (the png crate): the rgb8 reference.
pub fn kitti_image() -> Option<Image> {
    let dir = frame_dir()?;
    let path = dir.join("image.png");
    let bytes = std::fs::read(&path).unwrap();
    let image = convert::decode_png(&bytes, &path, STAMP).unwrap();
    assert_eq!((image.width, image.height, image.encoding.as_str()), (1242, 375, "rgb8"));
    Some(image)
}

pub fn kitti_calibration() -> Option<Calibration> {
    Some(Calibration::parse(&frame_dir()?.join("calib.txt")).unwrap())
}

/// The CameraInfo the KITTI converter makes for image_2 (what a KITTI bag carries).
pub fn kitti_camera_info() -> Option<CameraInfo> {
    Some(convert::camera_info(&kitti_calibration()?, 1242, 375, STAMP))
}

/// A node (default parameters) that has received the KITTI CameraInfo.
pub fn node_with_kitti_info() -> Option<CameraNode> {
    let mut node = CameraNode::new(CameraParams::default()).unwrap();
    node.on_camera_info(&kitti_camera_info()?).unwrap();
    Some(node)
}

/// `image` with its pixels in another layout.
pub fn with_pixels(image: &Image, encoding: &str, step: u32, data: Vec<u8>) -> Arc<Image> {
    Arc::new(Image { encoding: encoding.into(), step, data, ..image.clone() })
}

pub fn compressed(image: &Image, format: &str, data: Vec<u8>) -> CompressedImage {
    CompressedImage { header: image.header.clone(), format: format.into(), data }
}

/// Encodes rgb8 pixels with the `image` crate (an encoder only the tests use).
pub fn encode(image: &Image, format: image::ImageFormat, quality: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    let buffer = image::RgbImage::from_raw(image.width, image.height, image.data.clone()).unwrap();
    match format {
        image::ImageFormat::Jpeg => {
            let mut cursor = std::io::Cursor::new(&mut bytes);
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut cursor, quality);
            buffer.write_with_encoder(encoder).unwrap();
        }
        other => buffer.write_to(&mut std::io::Cursor::new(&mut bytes), other).unwrap(),
    }
    bytes
}

/// Peak signal-to-noise ratio (dB) of channel `b_channel` of `b` against `a_channel` of `a`
/// (interleaved rgb8).
pub fn psnr(a: &[u8], a_channel: usize, b: &[u8], b_channel: usize) -> f64 {
    assert_eq!(a.len(), b.len());
    let (mut sum, mut n) = (0.0f64, 0usize);
    for (pa, pb) in a.chunks_exact(3).zip(b.chunks_exact(3)) {
        let d = f64::from(pa[a_channel]) - f64::from(pb[b_channel]);
        sum += d * d;
        n += 1;
    }
    let mse = sum / n as f64;
    10.0 * (255.0 * 255.0 / mse.max(1e-12)).log10()
}

/// PSNR over all three channels in order.
pub fn psnr_rgb(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let mse = a.iter().zip(b).map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2)).sum::<f64>()
        / a.len() as f64;
    10.0 * (255.0 * 255.0 / mse.max(1e-12)).log10()
}
