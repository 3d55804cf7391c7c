//! Writes the ROS camera_calibration YAML of a KITTI frame's image_2 to stdout:
//!
//! ```text
//! cargo run -p edgefusion-camera --example kitti_calib -- \
//!     ../shared/fixtures/kitti/000008/calib.txt ../shared/fixtures/kitti/000008/image.png \
//!     > calib/camera/kitti_000008.yaml
//! ```

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [calib, image] = args.as_slice() else {
        eprintln!("usage: kitti_calib CALIB.txt IMAGE.png > calib/camera/kitti_NNNNNN.yaml");
        return ExitCode::from(2);
    };
    match edgefusion_camera::calibration::kitti_calibration_file_for(
        Path::new(calib),
        Path::new(image),
    ) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kitti_calib: {e}");
            ExitCode::FAILURE
        }
    }
}
