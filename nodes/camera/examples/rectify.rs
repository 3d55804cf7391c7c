//! Rectifies a PNG through the camera node, as the node does it on `image_raw`:
//!
//! ```text
//! rectify --calibration CALIB.yaml [--interpolation nearest] [--map MAP.f32]
//!         [--encoding bayer_rggb8] IN.png OUT.png
//! ```
//! `--encoding` reads the PNG's samples as that encoding (a grey PNG as a Bayer mosaic: the
//! node demosaics it before rectifying).
//! `--map` also writes the rectification map: for each output pixel (row-major) the source x
//! and y as little-endian float32 (OpenCV's map1/map2 interleaved). The interop test
//! (tests/interop/test_camera_rectify.py) compares both with OpenCV.

use edgefusion_camera::{rectify, CameraCalibration, CameraNode, CameraParams, Interpolation};
use edgefusion_msgs::builtin_interfaces::Time;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

const USAGE: &str = "usage: rectify --calibration CALIB.yaml [--interpolation bilinear|nearest] \
                     [--map MAP.f32] [--encoding ENCODING] IN.png OUT.png";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rectify: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (mut calibration, mut map, mut encoding, mut files) = (None, None, None, Vec::new());
    let mut interpolation = Interpolation::Bilinear;
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--calibration" => calibration = Some(PathBuf::from(value()?)),
            "--map" => map = Some(PathBuf::from(value()?)),
            "--encoding" => encoding = Some(value()?),
            "--interpolation" => {
                interpolation = match value()?.as_str() {
                    "bilinear" => Interpolation::Bilinear,
                    "nearest" => Interpolation::Nearest,
                    other => return Err(format!("unknown interpolation {other}\n{USAGE}")),
                }
            }
            _ => files.push(PathBuf::from(arg)),
        }
    }
    let (Some(calibration), [input, output]) = (calibration, files.as_slice()) else {
        return Err(USAGE.to_string());
    };
    let params = CameraParams {
        calibration_file: Some(calibration.clone()),
        interpolation,
        ..Default::default()
    };
    let mut node = CameraNode::new(params).map_err(|e| e.to_string())?;
    let bytes = std::fs::read(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let mut image = edgefusion_kitti::convert::decode_png(&bytes, input, Time::default())
        .map_err(|e| e.to_string())?;
    if let Some(encoding) = encoding {
        image.encoding = encoding;
    }
    let out = node.on_image(&Arc::new(image)).map_err(|e| e.to_string())?;
    write_png(output, out.image.width, out.image.height, &out.image.data)?;
    if let Some(path) = map {
        let calibration =
            CameraCalibration::from_yaml_file(&calibration).map_err(|e| e.to_string())?;
        let coords = rectify::source_coordinates(&calibration).map_err(|e| e.to_string())?;
        let bytes: Vec<u8> = coords.iter().flatten().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

fn write_png(path: &Path, width: u32, height: u32, rgb: &[u8]) -> Result<(), String> {
    let error = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let file = std::fs::File::create(path).map_err(|e| error(&e))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| error(&e))?;
    writer.write_image_data(rgb).map_err(|e| error(&e))?;
    writer.finish().map_err(|e| error(&e))
}
