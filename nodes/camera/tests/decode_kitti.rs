//! The real KITTI image through every input path: raw rgb8, bgr8, mono8, the four Bayer
//! mosaics, JPEG and PNG. The reference is the PNG as the png crate decodes it.

mod common;

use common::*;
use edgefusion_camera::Counter;
use std::sync::Arc;

#[test]
fn rgb8_is_published_as_is_without_a_copy() {
    let (Some(image), Some(mut node)) = (kitti_image(), node_with_kitti_info()) else { return };
    let input = Arc::new(image);
    let out = node.on_image(&input).unwrap();
    // KITTI image_2 is rectified already: nothing to remap, the input message goes through.
    assert!(Arc::ptr_eq(&out.image, &input));
    assert!(!out.remapped);
    assert_eq!(out.info.header, input.header);
    assert_eq!(node.stats().get(Counter::PassedThrough), 1);
}

#[test]
fn bgr8_and_padded_rows_give_the_same_rgb8() {
    let (Some(image), Some(mut node)) = (kitti_image(), node_with_kitti_info()) else { return };
    let bgr: Vec<u8> = image.data.chunks_exact(3).flat_map(|p| [p[2], p[1], p[0]]).collect();
    let out = node.on_image(&with_pixels(&image, "bgr8", 3 * 1242, bgr)).unwrap();
    assert_eq!(out.image.encoding, "rgb8");
    assert_eq!(out.image.step, 3 * 1242);
    assert!(out.image.data == image.data, "bgr8 did not give the original rgb8 back");
    // rgb8 rows padded to 3776 bytes: the padding is dropped.
    let step = 3 * 1242 + 50;
    let padded: Vec<u8> =
        image.data.chunks_exact(3 * 1242).flat_map(|r| r.iter().copied().chain([7; 50])).collect();
    let out = node.on_image(&with_pixels(&image, "rgb8", step, padded)).unwrap();
    assert!(out.image.data == image.data);
    // bgra8: alpha dropped.
    let bgra: Vec<u8> = image.data.chunks_exact(3).flat_map(|p| [p[2], p[1], p[0], 255]).collect();
    let out = node.on_image(&with_pixels(&image, "bgra8", 4 * 1242, bgra)).unwrap();
    assert!(out.image.data == image.data);
}

#[test]
fn mono8_is_copied_to_three_channels() {
    let (Some(image), Some(mut node)) = (kitti_image(), node_with_kitti_info()) else { return };
    let grey: Vec<u8> = image.data.chunks_exact(3).map(|p| p[1]).collect();
    let out = node.on_image(&with_pixels(&image, "mono8", 1242, grey.clone())).unwrap();
    assert_eq!(out.image.data.len(), 3 * grey.len());
    assert!(out.image.data.chunks_exact(3).zip(&grey).all(|(p, &g)| p == [g, g, g]));
}

#[test]
fn bayer_mosaics_of_the_real_image_demosaic_back_in_the_right_channels() {
    let (Some(image), Some(mut node)) = (kitti_image(), node_with_kitti_info()) else { return };
    // Channel (0 R, 1 G, 2 B) at even/odd row and column, as image_encodings names them.
    let patterns = [
        ("bayer_rggb8", [[0, 1], [1, 2]]),
        ("bayer_bggr8", [[2, 1], [1, 0]]),
        ("bayer_gbrg8", [[1, 2], [0, 1]]),
        ("bayer_grbg8", [[1, 0], [2, 1]]),
    ];
    let w = 1242usize;
    for (encoding, channels) in patterns {
        let mosaic: Vec<u8> = (0..image.data.len() / 3)
            .map(|i| image.data[3 * i + channels[(i / w) & 1][(i % w) & 1]])
            .collect();
        let out = node.on_image(&with_pixels(&image, encoding, 1242, mosaic)).unwrap();
        let rgb = &out.image.data;
        // OpenCV's demosaicing of the same mosaic (bilinear, VNG and EA alike) scores 26.8 dB
        // overall and 32.5 / 24.8 / 26.3 dB for G / R / B: red and blue carry much fine detail
        // in this image. (The exact comparison with OpenCV is tests/interop/test_camera_rectify.py.)
        let total = psnr_rgb(&image.data, rgb);
        assert!(total > 26.0, "{encoding}: PSNR {total:.1} dB");
        let green = psnr(&image.data, 1, rgb, 1);
        assert!(green > 32.0, "{encoding}: green PSNR {green:.1} dB");
        // Red and blue in the right place: each is much closer to itself than to the other.
        let (r, b) = (psnr(&image.data, 0, rgb, 0), psnr(&image.data, 2, rgb, 2));
        let (r_as_b, b_as_r) = (psnr(&image.data, 0, rgb, 2), psnr(&image.data, 2, rgb, 0));
        assert!(
            r > r_as_b + 3.0 && b > b_as_r + 3.0,
            "{encoding}: R {r:.1}/{r_as_b:.1} B {b:.1}/{b_as_r:.1}"
        );
    }
}

#[test]
fn jpeg_and_png_compressed_images_decode_to_the_original() {
    let (Some(image), Some(mut node)) = (kitti_image(), node_with_kitti_info()) else { return };
    let jpeg = encode(&image, image::ImageFormat::Jpeg, 95);
    for format in ["jpeg", "rgb8; jpeg compressed bgr8", ""] {
        let out = node.on_compressed(&compressed(&image, format, jpeg.clone())).unwrap();
        assert_eq!(
            (out.image.width, out.image.height, out.image.encoding.as_str()),
            (1242, 375, "rgb8")
        );
        let quality = psnr_rgb(&image.data, &out.image.data);
        assert!(quality > 30.0, "JPEG '{format}': PSNR {quality:.1} dB");
        let (r, r_as_b) =
            (psnr(&image.data, 0, &out.image.data, 0), psnr(&image.data, 0, &out.image.data, 2));
        assert!(r > r_as_b + 3.0, "JPEG channel order: R {r:.1} dB, R as B {r_as_b:.1} dB");
        assert_eq!(out.image.header, image.header);
    }
    let png = encode(&image, image::ImageFormat::Png, 0);
    let out = node.on_compressed(&compressed(&image, "bgr8; png compressed bgr8", png)).unwrap();
    assert!(out.image.data == image.data, "PNG is lossless");
    // A grey PNG (as image_transport writes mono8) comes out grey in three channels.
    let grey: Vec<u8> = image.data.chunks_exact(3).map(|p| p[0]).collect();
    let mut bytes = Vec::new();
    image::GrayImage::from_raw(1242, 375, grey.clone())
        .unwrap()
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    let out =
        node.on_compressed(&compressed(&image, "mono8; png compressed mono8", bytes)).unwrap();
    assert!(out.image.data.chunks_exact(3).zip(&grey).all(|(p, &g)| p == [g, g, g]));
    assert_eq!(node.stats().get(Counter::Outputs), 5);
    assert_eq!(node.stats().get(Counter::CompressedReceived), 5);
}
