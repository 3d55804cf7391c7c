//! Camera node stages on the 1242×375 KITTI image (fixture kitti/000008), p50/p99 over RUNS:
//! JPEG decode (quality 90, made with the `image` crate), Bayer demosaic (bayer_rggb8 of the
//! image), rectification remap (the plumb_bob calibration of the interop test), and the whole
//! node on each path. Then the same with OpenCV as the peer (scripts/bench/camera_opencv.py,
//! run with the project's `.venv` if it has cv2).
//!
//! `cargo bench -p edgefusion-camera`

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use edgefusion_camera::decode::{decode_compressed, demosaic, BayerPattern};
use edgefusion_camera::{
    CameraCalibration, CameraNode, CameraParams, Interpolation, RectifyMap, Stage,
};
use edgefusion_msgs::sensor_msgs::CameraInfo;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

const WARMUP: usize = 3;
const RUNS: usize = 50;

fn time(label: &str, mut f: impl FnMut()) {
    for _ in 0..WARMUP {
        f();
    }
    let mut ms: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    let q = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    println!("  {label:<28} {:>8.2} {:>8.2}", q(0.5), q(0.99));
}

fn main() {
    let (Some(image), Some(info)) = (kitti_image(), kitti_camera_info()) else {
        eprintln!("SKIPPED: fixtures absent");
        return;
    };
    let jpeg = encode(&image, image::ImageFormat::Jpeg, 90);
    let mosaic: Vec<u8> = (0..image.data.len() / 3)
        .map(|i| image.data[3 * i + [[0, 1], [1, 2]][(i / 1242) & 1][(i % 1242) & 1]])
        .collect();
    let mut distorted = CameraCalibration::from_camera_info(&info, "kitti").unwrap();
    distorted.d = vec![-0.37, 0.2, 1e-3, -2e-4, -0.07];
    distorted.p = [650.0, 0.0, 615.0, 0.0, 0.0, 650.0, 180.0, 0.0, 0.0, 0.0, 1.0, 0.0];
    let map = RectifyMap::new(&distorted, Interpolation::Bilinear).unwrap();
    println!("camera stages, KITTI 000008 1242x375, {RUNS} runs after {WARMUP} warm-up, 1 thread");
    println!("  {:<28} {:>8} {:>8}", "stage", "p50 ms", "p99 ms");
    let message = compressed(&image, "jpeg", jpeg.clone());
    time(&format!("decode JPEG ({} kB)", jpeg.len() / 1000), || {
        decode_compressed(&message, "bench", 1 << 24).unwrap();
    });
    time("demosaic bayer_rggb8", || {
        demosaic(&mosaic, 1242, 375, BayerPattern::Rggb).unwrap();
    });
    time("build rectify map", || {
        RectifyMap::new(&distorted, Interpolation::Bilinear).unwrap();
    });
    time("remap bilinear", || {
        map.remap(&image.data);
    });

    // The node on whole paths (its own stage histograms).
    let mut info_distorted = info.clone();
    info_distorted.d = distorted.d.clone();
    info_distorted.p = distorted.p;
    let raw = Arc::new(image.clone());
    let bayer = with_pixels(&image, "bayer_rggb8", 1242, mosaic.clone());
    type Path<'a> = (&'a str, &'a CameraInfo, &'a dyn Fn(&mut CameraNode));
    let paths: [Path; 3] = [
        ("rgb8, KITTI (no remap)", &info, &|n| {
            n.on_image(&raw).unwrap();
        }),
        ("JPEG + rectify", &info_distorted, &|n| {
            n.on_compressed(&message).unwrap();
        }),
        ("bayer + rectify", &info_distorted, &|n| {
            n.on_image(&bayer).unwrap();
        }),
    ];
    println!("\nnode (CameraNode, default parameters): total p50 / p99 ms");
    for (label, info, run) in paths {
        let mut node = CameraNode::new(CameraParams::default()).unwrap();
        node.on_camera_info(info).unwrap();
        for _ in 0..RUNS {
            run(&mut node);
        }
        let q = |stage, q| node.latency().quantile_ms(stage, q).unwrap_or(f64::NAN);
        println!(
            "  {label:<28} {:>8.2} {:>8.2}   (decode {:.2}, rectify {:.2})",
            q(Stage::Total, 0.5),
            q(Stage::Total, 0.99),
            q(Stage::Decode, 0.5),
            q(Stage::Rectify, 0.5)
        );
    }
    peer(&jpeg);
}

/// OpenCV on the same image, JPEG bytes and calibration, if the project's Python has it.
fn peer(jpeg: &[u8]) {
    let jpeg_path = std::env::temp_dir().join(format!("camera_bench_{}.jpg", std::process::id()));
    if let Err(e) = std::fs::write(&jpeg_path, jpeg) {
        println!("  (peer not run: {}: {e})", jpeg_path.display());
        return;
    }
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let venv = format!("{root}/.venv/bin/python");
    let python = if std::path::Path::new(&venv).exists() { venv } else { "python3".into() };
    let script = format!("{root}/scripts/bench/camera_opencv.py");
    println!("\npeer: {script}");
    let status = Command::new(&python).arg(&script).arg(RUNS.to_string()).arg(&jpeg_path).status();
    let _ = std::fs::remove_file(&jpeg_path);
    match status {
        Ok(status) if status.success() => {}
        Ok(status) => println!("  (peer exited with {status})"),
        Err(e) => println!("  (peer not run: {e})"),
    }
}
