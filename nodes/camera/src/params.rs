//! The node's parameters, from a ROS 2 parameters file (calib/params/camera.yaml documents each):
//!
//! ```yaml
//! camera:
//!   ros__parameters:
//!     rectify: true
//!     calibration_file: calib/camera/kitti_000008.yaml   # "" = use the CameraInfo topic
//!     interpolation: bilinear
//! ```

use crate::rectify::Interpolation;
pub use edgefusion_node::ParamsError;
use edgefusion_node::{NodeParams, Origins, ParamReader, Params};
use std::path::PathBuf;

/// The largest `max_pixels` allowed: 2^28 pixels (768 MiB of rgb8) bounds any one image.
pub const MAX_PIXELS_LIMIT: u64 = 1 << 28;

/// Typed parameters of the camera node.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraParams {
    /// Remove lens distortion and apply the rectification rotation (to P). When false, images
    /// are only decoded to rgb8 and the published CameraInfo is the input one.
    pub rectify: bool,
    /// A ROS camera_calibration YAML file used instead of the CameraInfo topic; None = topic.
    pub calibration_file: Option<PathBuf>,
    /// Frame of both outputs; empty keeps the input image's `header.frame_id`.
    pub frame_id: String,
    pub interpolation: Interpolation,
    /// Images with more pixels are rejected before any pixel buffer is allocated (a corrupt
    /// header must not allocate gigabytes).
    pub max_pixels: u64,
}

impl Default for CameraParams {
    fn default() -> Self {
        Self {
            rectify: true,
            calibration_file: None,
            frame_id: String::new(),
            interpolation: Interpolation::Bilinear,
            max_pixels: 16 * 1024 * 1024,
        }
    }
}

impl NodeParams for CameraParams {
    fn from_params(params: &Params, node_name: &str) -> Result<Self, ParamsError> {
        let r = params.reader(node_name);
        let p = Self::read(&r)?;
        r.finish();
        Ok(p)
    }
}

impl CameraParams {
    /// Reads and checks every camera parameter through `r`, unset ones at their defaults.
    pub fn read(r: &ParamReader) -> Result<Self, ParamsError> {
        let d = Self::default();
        let interpolation = match r.string("interpolation", "bilinear")?.as_str() {
            "bilinear" => Interpolation::Bilinear,
            "nearest" => Interpolation::Nearest,
            other => {
                return Err(r.out_of_range(
                    "interpolation",
                    format!("'{other}'"),
                    "bilinear or nearest",
                ))
            }
        };
        let max_pixels =
            r.int_in("max_pixels", d.max_pixels as i64, 1..=MAX_PIXELS_LIMIT as i64)? as u64;
        Ok(Self {
            rectify: r.bool("rectify", d.rectify)?,
            calibration_file: r.path("calibration_file", None)?,
            frame_id: r.string("frame_id", &d.frame_id)?.trim().to_string(),
            interpolation,
            max_pixels,
        })
    }

    /// Range checks for parameters built in code; `origin` names them in errors.
    pub fn validate(&self, origin: &str) -> Result<(), ParamsError> {
        if !(1..=MAX_PIXELS_LIMIT).contains(&self.max_pixels) {
            let allowed = format!("1..={MAX_PIXELS_LIMIT}");
            return Err(Origins::Fixed(origin).out_of_range(
                "max_pixels",
                self.max_pixels,
                &allowed,
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<CameraParams, ParamsError> {
        CameraParams::from_yaml_str(text, "camera", "test.yaml")
    }

    #[test]
    fn values_from_the_file_and_defaults() {
        let p = parse(
            "camera:\n  ros__parameters:\n    rectify: false\n    calibration_file: c.yaml\n    \
             interpolation: nearest\n    max_pixels: 1000\n    frame_id: cam\n",
        )
        .unwrap();
        assert!(!p.rectify);
        assert_eq!(p.calibration_file, Some(PathBuf::from("c.yaml")));
        assert_eq!(
            (p.interpolation, p.max_pixels, p.frame_id.as_str()),
            (Interpolation::Nearest, 1000, "cam")
        );
        let d = parse("camera:\n  ros__parameters:\n    calibration_file: ''\n").unwrap();
        assert_eq!(d, CameraParams::default());
    }

    #[test]
    fn the_shipped_file_parses() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../calib/params/camera.yaml");
        let p = CameraParams::from_yaml_file(path, "camera").unwrap();
        assert!(p.rectify);
        assert_eq!(p.interpolation, Interpolation::Bilinear);
    }

    #[test]
    fn wrong_values_name_the_parameter_and_file() {
        let e = parse("camera:\n  ros__parameters:\n    interpolation: cubic\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "parameter 'interpolation' (test.yaml, section 'camera') = 'cubic' is out of range (bilinear or nearest)"
        );
        let e = parse("camera:\n  ros__parameters:\n    max_pixels: 0\n").unwrap_err();
        assert!(matches!(&e, ParamsError::OutOfRange { name, .. } if name == "max_pixels"), "{e}");
        let e = parse("camera:\n  ros__parameters:\n    rectify: 1\n").unwrap_err();
        assert!(matches!(&e, ParamsError::WrongType { name, .. } if name == "rectify"), "{e}");
        let e = CameraParams { max_pixels: 0, ..Default::default() }.validate("code").unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("parameter 'max_pixels' (code) = 0 is out of range (1..={MAX_PIXELS_LIMIT})")
        );
    }
}
