//! A camera's calibration as the node uses it: from a CameraInfo message, from a ROS
//! camera_calibration YAML file (the format `camera_calibration` and `camera_info_manager`
//! write), or from a KITTI calib.txt; and back to CameraInfo and YAML.
//!
//! The YAML file:
//! ```yaml
//! image_width: 1242
//! image_height: 375
//! camera_name: kitti_image_2
//! camera_matrix: {rows: 3, cols: 3, data: [fx, 0, cx, 0, fy, cy, 0, 0, 1]}
//! distortion_model: plumb_bob
//! distortion_coefficients: {rows: 1, cols: 5, data: [k1, k2, p1, p2, k3]}
//! rectification_matrix: {rows: 3, cols: 3, data: [...]}
//! projection_matrix: {rows: 3, cols: 4, data: [...]}
//! ```

use edgefusion_kitti::Calibration as KittiCalibration;
use edgefusion_msgs::sensor_msgs::CameraInfo;
use edgefusion_msgs::std_msgs::Header;
use serde_yaml_ng::Value;
use std::path::Path;

pub const PLUMB_BOB: &str = "plumb_bob";
pub const RATIONAL_POLYNOMIAL: &str = "rational_polynomial";
pub const EQUIDISTANT: &str = "equidistant";

const IDENTITY: [f64; 9] = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];

/// A calibration that cannot be used; names where it came from (file or topic) and the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalibrationError {
    #[error("calibration {origin}: cannot read: {message}")]
    Io { origin: String, message: String },
    #[error("calibration {origin}: not valid YAML: {message}")]
    Yaml { origin: String, message: String },
    #[error("calibration {origin}: field '{field}': {message}")]
    Field { origin: String, field: String, message: String },
}

/// The intrinsics, distortion, rectification and projection of one camera, with the image size
/// they hold for. Matrices row-major, as in CameraInfo.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraCalibration {
    pub camera_name: String,
    pub width: u32,
    pub height: u32,
    /// `plumb_bob`, `rational_polynomial`, `equidistant`, another name, or empty (no distortion).
    pub distortion_model: String,
    pub d: Vec<f64>,
    pub k: [f64; 9],
    pub r: [f64; 9],
    pub p: [f64; 12],
}

impl CameraCalibration {
    /// The calibration a CameraInfo message holds; `origin` names it in errors (the topic).
    /// Binning and regions of interest are refused: the node rectifies full-resolution images.
    pub fn from_camera_info(info: &CameraInfo, origin: &str) -> Result<Self, CalibrationError> {
        let field = |field: &str, message: String| CalibrationError::Field {
            origin: origin.to_string(),
            field: field.to_string(),
            message,
        };
        if info.binning_x > 1 || info.binning_y > 1 {
            let binning = format!("{} x {}", info.binning_x, info.binning_y);
            return Err(field("binning_x", format!("binning {binning} is not supported")));
        }
        let roi = &info.roi;
        let full = (roi.x_offset, roi.y_offset) == (0, 0)
            && (roi.width == 0 || roi.width == info.width)
            && (roi.height == 0 || roi.height == info.height);
        if !full {
            return Err(field("roi", format!("a region of interest ({roi:?}) is not supported")));
        }
        let calibration = Self {
            camera_name: info.header.frame_id.clone(),
            width: info.width,
            height: info.height,
            distortion_model: info.distortion_model.clone(),
            d: info.d.clone(),
            k: info.k,
            r: info.r,
            p: info.p,
        };
        calibration.validate(origin)?;
        Ok(calibration)
    }

    /// CameraInfo of this calibration (binning 0, full ROI).
    pub fn to_camera_info(&self, header: Header) -> CameraInfo {
        CameraInfo {
            header,
            height: self.height,
            width: self.width,
            distortion_model: self.distortion_model.clone(),
            d: self.d.clone(),
            k: self.k,
            r: self.r,
            p: self.p,
            ..Default::default()
        }
    }

    /// The CameraInfo of the rectified image: same size, no distortion (plumb_bob, five zeros),
    /// K = P's left 3x3, R = identity, P unchanged.
    pub fn rectified_camera_info(&self, header: Header) -> CameraInfo {
        let p = &self.p;
        CameraInfo {
            header,
            height: self.height,
            width: self.width,
            distortion_model: PLUMB_BOB.to_string(),
            d: vec![0.0; 5],
            k: [p[0], p[1], p[2], p[4], p[5], p[6], p[8], p[9], p[10]],
            r: IDENTITY,
            p: self.p,
            ..Default::default()
        }
    }

    /// image_2 of a KITTI frame: already rectified, so K = P2's left 3x3, no distortion, R = I,
    /// P = P2 (as `edgefusion_kitti::convert::camera_info` says it).
    pub fn from_kitti(calib: &KittiCalibration, width: u32, height: u32, name: &str) -> Self {
        let p2 = calib.p2();
        let mut p = [0.0; 12];
        for (i, v) in p.iter_mut().enumerate() {
            *v = p2[(i / 4, i % 4)];
        }
        Self {
            camera_name: name.to_string(),
            width,
            height,
            distortion_model: PLUMB_BOB.to_string(),
            d: vec![0.0; 5],
            k: [p[0], p[1], p[2], p[4], p[5], p[6], p[8], p[9], p[10]],
            r: IDENTITY,
            p,
        }
    }

    /// True when rectifying changes nothing: no distortion, R = identity, K = P's left 3x3.
    pub fn is_rectified(&self) -> bool {
        let p3 = [self.p[0], self.p[1], self.p[2], self.p[4], self.p[5], self.p[6]];
        let k3 = [self.k[0], self.k[1], self.k[2], self.k[3], self.k[4], self.k[5]];
        self.d.iter().all(|&v| v == 0.0)
            && self.r == IDENTITY
            && k3.iter().zip(p3).all(|(&k, p)| (k - p).abs() <= 1e-9 * k.abs().max(1.0))
            && self.k[6..] == [0.0, 0.0, 1.0]
            && self.p[8..11] == [0.0, 0.0, 1.0]
    }

    /// Checks what every use needs: a size, finite numbers, and as many distortion
    /// coefficients as the model has. An uncalibrated camera (K all zero) is valid here.
    pub fn validate(&self, origin: &str) -> Result<(), CalibrationError> {
        let field = |field: &str, message: String| {
            Err(CalibrationError::Field {
                origin: origin.to_string(),
                field: field.to_string(),
                message,
            })
        };
        if self.width == 0 || self.height == 0 {
            return field("width", format!("image size {} x {} is empty", self.width, self.height));
        }
        let matrices = [("k", &self.k[..]), ("r", &self.r[..]), ("p", &self.p[..]), ("d", &self.d)];
        for (name, values) in matrices {
            if let Some(v) = values.iter().find(|v| !v.is_finite()) {
                return field(name, format!("{v} is not a finite number"));
            }
        }
        let expected: &[usize] = match self.distortion_model.as_str() {
            PLUMB_BOB => &[4, 5],
            RATIONAL_POLYNOMIAL => &[8],
            EQUIDISTANT => &[4],
            // No model: only "no distortion" makes sense.
            "" if self.d.iter().all(|&v| v == 0.0) => return Ok(()),
            "" => return field("distortion_model", "empty, but D is not all zero".into()),
            // A model the node does not know: rectification refuses it, passing through works.
            _ => return Ok(()),
        };
        if !expected.contains(&self.d.len()) {
            let model = &self.distortion_model;
            return field(
                "d",
                format!("{model} has {expected:?} coefficients, got {}", self.d.len()),
            );
        }
        Ok(())
    }

    /// Reads a ROS camera_calibration YAML file; errors name the file and the field.
    pub fn from_yaml_file(path: impl AsRef<Path>) -> Result<Self, CalibrationError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| CalibrationError::Io { origin: origin.clone(), message: e.to_string() })?;
        Self::from_yaml(&text, &origin)
    }

    /// As [`Self::from_yaml_file`]; `origin` names the text in errors.
    pub fn from_yaml(text: &str, origin: &str) -> Result<Self, CalibrationError> {
        let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| CalibrationError::Yaml {
            origin: origin.to_string(),
            message: e.to_string(),
        })?;
        let error = |field: &str, message: String| CalibrationError::Field {
            origin: origin.to_string(),
            field: field.to_string(),
            message,
        };
        if !doc.is_mapping() {
            return Err(error("(top level)", "not a mapping of calibration fields".into()));
        }
        let size = |name: &str| -> Result<u32, CalibrationError> {
            let value = doc.get(name).ok_or_else(|| error(name, "missing".into()))?;
            value
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .filter(|&v| v > 0)
                .ok_or_else(|| error(name, format!("{value:?} is not a positive integer")))
        };
        let matrix = |name: &str,
                      rows: u64,
                      cols: Option<u64>|
         -> Result<Vec<f64>, CalibrationError> {
            let m = doc.get(name).ok_or_else(|| error(name, "missing".into()))?;
            let dim = |key: &str| m.get(key).and_then(Value::as_u64);
            let (Some(r), Some(c)) = (dim("rows"), dim("cols")) else {
                return Err(error(name, "needs integer 'rows' and 'cols'".into()));
            };
            if r != rows || cols.is_some_and(|cols| c != cols) {
                let want = cols.map_or(format!("{rows} x N"), |cols| format!("{rows} x {cols}"));
                return Err(error(name, format!("is {r} x {c}, expected {want}")));
            }
            let data_field = format!("{name}.data");
            let Some(Value::Sequence(items)) = m.get("data") else {
                return Err(error(&data_field, "missing or not a list".into()));
            };
            let data = items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_f64().filter(|v| v.is_finite()).ok_or_else(|| {
                        error(&data_field, format!("element {i} ({v:?}) is not a finite number"))
                    })
                })
                .collect::<Result<Vec<f64>, _>>()?;
            if data.len() as u64 != r * c {
                let n = data.len();
                return Err(error(&data_field, format!("{n} numbers for a {r} x {c} matrix")));
            }
            Ok(data)
        };
        let fixed = |name: &str, rows: u64, cols: u64| -> Result<Vec<f64>, CalibrationError> {
            matrix(name, rows, Some(cols))
        };
        let text_field = |name: &str| -> Result<String, CalibrationError> {
            match doc.get(name) {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(other) => Err(error(name, format!("{other:?} is not a string"))),
            }
        };
        let to_array = |v: Vec<f64>| -> [f64; 9] { std::array::from_fn(|i| v[i]) };
        let p = fixed("projection_matrix", 3, 4)?;
        let calibration = Self {
            camera_name: text_field("camera_name")?,
            width: size("image_width")?,
            height: size("image_height")?,
            distortion_model: match text_field("distortion_model")? {
                m if m.is_empty() => return Err(error("distortion_model", "missing".into())),
                m => m,
            },
            d: matrix("distortion_coefficients", 1, None)?,
            k: to_array(fixed("camera_matrix", 3, 3)?),
            r: to_array(fixed("rectification_matrix", 3, 3)?),
            p: std::array::from_fn(|i| p[i]),
        };
        calibration.validate(origin).map_err(|e| match e {
            // Name the fields as the file spells them.
            CalibrationError::Field { origin, field, message } => CalibrationError::Field {
                origin,
                field: yaml_field_name(&field).to_string(),
                message,
            },
            other => other,
        })?;
        Ok(calibration)
    }

    /// The ROS camera_calibration YAML text (numbers in Rust's shortest form that reads back
    /// to the same f64, so a round trip is exact).
    pub fn to_yaml(&self) -> String {
        let list =
            |values: &[f64]| values.iter().map(|v| format!("{v}")).collect::<Vec<_>>().join(", ");
        let matrix = |name: &str, rows: usize, cols: usize, values: &[f64]| {
            format!("{name}:\n  rows: {rows}\n  cols: {cols}\n  data: [{}]\n", list(values))
        };
        let name =
            if self.camera_name.is_empty() { "''".to_string() } else { self.camera_name.clone() };
        format!(
            "image_width: {}\nimage_height: {}\ncamera_name: {name}\n{}distortion_model: {}\n{}{}{}",
            self.width,
            self.height,
            matrix("camera_matrix", 3, 3, &self.k),
            self.distortion_model,
            matrix("distortion_coefficients", 1, self.d.len(), &self.d),
            matrix("rectification_matrix", 3, 3, &self.r),
            matrix("projection_matrix", 3, 4, &self.p),
        )
    }
}

/// The file's name for a CameraInfo field, in errors about a YAML file.
fn yaml_field_name(field: &str) -> &str {
    match field {
        "k" => "camera_matrix",
        "d" => "distortion_coefficients",
        "r" => "rectification_matrix",
        "p" => "projection_matrix",
        "width" => "image_width",
        other => other,
    }
}

/// The committed calibration file of a KITTI frame's image_2 (calib/camera/kitti_NNNNNN.yaml):
/// a header saying how it was made, then [`CameraCalibration::to_yaml`]. `frame` is the frame's
/// name (e.g. `000008`); the example `kitti_calib` prints this.
pub fn kitti_calibration_file(calibration: &CameraCalibration, frame: &str) -> String {
    format!(
        "# Calibration of the left colour camera (image_2) of KITTI object frame {frame}, in the ROS\n\
         # camera_calibration YAML format. Made by the project from KITTI's calib.txt (P2) and the\n\
         # image size, not copied:\n\
         #   cargo run -p edgefusion-camera --example kitti_calib -- \\\n\
         #     ../shared/fixtures/kitti/{frame}/calib.txt ../shared/fixtures/kitti/{frame}/image.png \\\n\
         #     > calib/camera/kitti_{frame}.yaml\n\
         # image_2 is already rectified: K = P2's left 3x3, no distortion, R = identity, P = P2.\n\
         # KITTI data: CC BY-NC-SA 3.0 (Geiger, Lenz, Urtasun, CVPR 2012).\n{}",
        calibration.to_yaml()
    )
}

/// [`kitti_calibration_file`] for a KITTI frame's `calib.txt` and its image_2 PNG (only the
/// PNG header is read, for the size); the frame's name is the calib file's folder name
/// (fixture layout `kitti/000008/calib.txt`) or its stem (KITTI layout `calib/000008.txt`).
pub fn kitti_calibration_file_for(
    calib_txt: &Path,
    image_png: &Path,
) -> Result<String, CalibrationError> {
    let io = |path: &Path, message: String| CalibrationError::Io {
        origin: path.display().to_string(),
        message,
    };
    let calib = KittiCalibration::parse(calib_txt).map_err(|e| io(calib_txt, e.to_string()))?;
    let file = std::fs::File::open(image_png).map_err(|e| io(image_png, e.to_string()))?;
    let reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .map_err(|e| io(image_png, format!("not a PNG: {e}")))?;
    let (width, height) = (reader.info().width, reader.info().height);
    let name_of = |p: Option<&std::ffi::OsStr>| p.map(|s| s.to_string_lossy().into_owned());
    let stem = name_of(calib_txt.file_stem()).unwrap_or_default();
    let frame = if stem == "calib" {
        name_of(calib_txt.parent().and_then(Path::file_name))
    } else {
        Some(stem)
    };
    let frame = frame.unwrap_or_default();
    let calibration = CameraCalibration::from_kitti(&calib, width, height, "kitti_image_2");
    Ok(kitti_calibration_file(&calibration, &frame))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CameraCalibration {
        CameraCalibration {
            camera_name: "front".into(),
            width: 640,
            height: 480,
            distortion_model: RATIONAL_POLYNOMIAL.into(),
            d: vec![-0.37, 0.2, 1e-3, -2e-4, -0.07, 0.01, -0.002, 0.0003],
            k: [500.25, 0.0, 320.5, 0.0, 501.125, 240.75, 0.0, 0.0, 1.0],
            r: [0.9999, 0.01, 0.0, -0.01, 0.9999, 0.0, 0.0, 0.0, 1.0],
            p: [480.0, 0.0, 321.0, 0.0, 0.0, 480.0, 241.0, 0.0, 0.0, 0.0, 1.0, 0.0],
        }
    }

    #[test]
    fn yaml_round_trip_is_exact() {
        let c = sample();
        let text = c.to_yaml();
        assert_eq!(CameraCalibration::from_yaml(&text, "t.yaml").unwrap(), c);
        let info = c.to_camera_info(Header::default());
        assert_eq!(
            CameraCalibration::from_camera_info(&info, "topic").unwrap(),
            c.clone().tap_name("")
        );
    }

    impl CameraCalibration {
        fn tap_name(mut self, name: &str) -> Self {
            self.camera_name = name.into();
            self
        }
    }

    #[test]
    fn bad_files_name_the_file_and_field() {
        let text = sample().to_yaml();
        let cases = [
            (text.replace("image_width: 640", "image_width: -3"), "image_width"),
            (text.replace("rows: 3\n  cols: 4", "rows: 3\n  cols: 3"), "projection_matrix"),
            (text.replace("data: [500.25, ", "data: ["), "camera_matrix.data"),
            (text.replace("data: [500.25", "data: [x"), "camera_matrix.data"),
            (
                text.replace(
                    "distortion_model: rational_polynomial",
                    "distortion_model: plumb_bob",
                ),
                "distortion_coefficients",
            ),
            (text.replace("rectification_matrix", "rectification"), "rectification_matrix"),
        ];
        for (bad, field_name) in cases {
            let e = CameraCalibration::from_yaml(&bad, "calib/x.yaml").unwrap_err();
            assert!(
                matches!(&e, CalibrationError::Field { field, origin, .. } if field == field_name && origin == "calib/x.yaml"),
                "{field_name}: {e}"
            );
            assert!(e.to_string().starts_with("calibration calib/x.yaml: field '"), "{e}");
        }
        let e = CameraCalibration::from_yaml("image_width: [", "y.yaml").unwrap_err();
        assert!(matches!(e, CalibrationError::Yaml { .. }));
        let e = CameraCalibration::from_yaml_file("/nonexistent/c.yaml").unwrap_err();
        assert!(e.to_string().contains("/nonexistent/c.yaml"), "{e}");
    }

    #[test]
    fn camera_info_with_binning_roi_or_nan_is_refused() {
        let good = sample().to_camera_info(Header::default());
        let mut binned = good.clone();
        binned.binning_x = 2;
        let mut roi = good.clone();
        roi.roi.width = 100;
        let mut nan = good.clone();
        nan.p[3] = f64::NAN;
        let mut short = good.clone();
        short.d.pop();
        for (bad, field_name) in [(binned, "binning_x"), (roi, "roi"), (nan, "p"), (short, "d")] {
            let e = CameraCalibration::from_camera_info(&bad, "/cam/info").unwrap_err();
            assert!(
                matches!(&e, CalibrationError::Field { field, .. } if field == field_name),
                "{e}"
            );
        }
    }

    #[test]
    fn rectified_info_has_no_distortion_and_k_from_p() {
        let c = sample();
        assert!(!c.is_rectified());
        let info = c.rectified_camera_info(Header::default());
        assert_eq!(info.k, [480.0, 0.0, 321.0, 0.0, 480.0, 241.0, 0.0, 0.0, 1.0]);
        assert_eq!((info.d, info.r, info.p), (vec![0.0; 5], IDENTITY, c.p));
        let again =
            CameraCalibration::from_camera_info(&c.rectified_camera_info(Header::default()), "t")
                .unwrap();
        assert!(again.is_rectified());
    }
}
