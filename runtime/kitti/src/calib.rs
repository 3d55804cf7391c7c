//! KITTI object calibration files (`calib/NNNNNN.txt`, `calib.txt`).
//!
//! Each line is `KEY: n1 n2 ...`, matrices row-major. `x_img = P2 · R0_rect · Tr_velo_to_cam · x_velo`
//! with R0_rect and Tr_velo_to_cam padded to 4x4 maps a Velodyne point to image_2 pixels.

use crate::error::KittiError;
use nalgebra::{Matrix3, Matrix3x4, Matrix4};
use std::path::Path;

/// The matrices of one KITTI object calibration file.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    /// Projection matrices of cameras 0..3 (gray left/right, colour left/right) from the
    /// rectified camera-0 frame to each rectified image.
    pub p: [Matrix3x4<f64>; 4],
    /// Rotation from camera 0 to the rectified camera-0 frame.
    pub r0_rect: Matrix3<f64>,
    /// Velodyne frame to (unrectified) camera-0 frame.
    pub tr_velo_to_cam: Matrix3x4<f64>,
    /// IMU (OXTS) frame to Velodyne frame; absent from some calibration files.
    pub tr_imu_to_velo: Option<Matrix3x4<f64>>,
}

/// Which matrix a line holds. The alternative spellings are those of the KITTI tracking and raw
/// calibration files (`R_rect`, `Tr_velo_cam`, `Tr_imu_velo`), accepted so those files work too.
#[derive(Clone, Copy)]
enum Entry {
    P(usize),
    R0Rect,
    TrVeloToCam,
    TrImuToVelo,
}

impl Entry {
    fn from_key(key: &str) -> Option<Self> {
        Some(match key {
            "P0" => Self::P(0),
            "P1" => Self::P(1),
            "P2" => Self::P(2),
            "P3" => Self::P(3),
            "R0_rect" | "R_rect" => Self::R0Rect,
            "Tr_velo_to_cam" | "Tr_velo_cam" => Self::TrVeloToCam,
            "Tr_imu_to_velo" | "Tr_imu_velo" => Self::TrImuToVelo,
            _ => return None,
        })
    }

    fn expected_len(self) -> usize {
        match self {
            Self::R0Rect => 9,
            _ => 12,
        }
    }

    fn slot(self) -> usize {
        match self {
            Self::P(i) => i,
            Self::R0Rect => 4,
            Self::TrVeloToCam => 5,
            Self::TrImuToVelo => 6,
        }
    }
}

const SLOT_NAMES: [&str; 7] =
    ["P0", "P1", "P2", "P3", "R0_rect", "Tr_velo_to_cam", "Tr_imu_to_velo"];

impl Calibration {
    /// Reads and parses a calibration file.
    pub fn parse(path: &Path) -> Result<Self, KittiError> {
        let text = std::fs::read_to_string(path).map_err(|e| KittiError::io(path, e))?;
        Self::parse_str(&text, path)
    }

    /// Parses calibration text; `path` is only used in error messages.
    pub fn parse_str(text: &str, path: &Path) -> Result<Self, KittiError> {
        let mut values: [Option<Vec<f64>>; 7] = Default::default();
        for (index, raw_line) in text.lines().enumerate() {
            let line_no = index + 1;
            let line = raw_line.trim();
            if line.is_empty() {
                continue;
            }
            let Some((key, numbers)) = line.split_once(':') else {
                return Err(KittiError::syntax(
                    path,
                    line_no,
                    format!("expected `KEY: numbers`, found {line:?}"),
                ));
            };
            let key = key.trim();
            let Some(entry) = Entry::from_key(key) else {
                // Other files (raw-data calib_cam_to_cam.txt) carry more keys; none of them matters here.
                tracing::debug!("{}:{line_no}: ignoring calibration entry {key}", path.display());
                continue;
            };
            let numbers = parse_numbers(numbers, key, path, line_no)?;
            if numbers.len() != entry.expected_len() {
                return Err(KittiError::syntax(
                    path,
                    line_no,
                    format!(
                        "{key} has {} numbers, expected {}",
                        numbers.len(),
                        entry.expected_len()
                    ),
                ));
            }
            let slot = &mut values[entry.slot()];
            if slot.is_some() {
                return Err(KittiError::syntax(
                    path,
                    line_no,
                    format!("{key} given a second time"),
                ));
            }
            *slot = Some(numbers);
        }

        let mut take = |slot: usize| -> Result<Vec<f64>, KittiError> {
            values[slot].take().ok_or(KittiError::MissingCalibEntry {
                path: path.to_path_buf(),
                key: SLOT_NAMES[slot],
            })
        };
        let p = [
            Matrix3x4::from_row_slice(&take(0)?),
            Matrix3x4::from_row_slice(&take(1)?),
            Matrix3x4::from_row_slice(&take(2)?),
            Matrix3x4::from_row_slice(&take(3)?),
        ];
        let r0_rect = Matrix3::from_row_slice(&take(4)?);
        let tr_velo_to_cam = Matrix3x4::from_row_slice(&take(5)?);
        let tr_imu_to_velo = take(6).ok().map(|v| Matrix3x4::from_row_slice(&v));
        Ok(Self { p, r0_rect, tr_velo_to_cam, tr_imu_to_velo })
    }

    /// The projection of image_2, the left colour camera.
    pub fn p2(&self) -> &Matrix3x4<f64> {
        &self.p[2]
    }

    /// `R0_rect · Tr_velo_to_cam` as a 4x4 homogeneous matrix: Velodyne frame to the rectified
    /// camera-0 frame (`camera_front_optical`).
    pub fn velo_to_rect_cam(&self) -> Matrix4<f64> {
        pad_rotation(&self.r0_rect) * pad_transform(&self.tr_velo_to_cam)
    }

    /// Inverse of [`Self::velo_to_rect_cam`]: rectified camera-0 frame to Velodyne frame. This is
    /// the exact matrix inverse (not a rigid-body approximation), as mmdet3d uses for boxes.
    pub fn rect_cam_to_velo(&self) -> Matrix4<f64> {
        invert(&self.velo_to_rect_cam())
    }
}

/// A 3x4 `[R | t]` as a 4x4 homogeneous matrix.
pub fn pad_transform(m: &Matrix3x4<f64>) -> Matrix4<f64> {
    let mut out = Matrix4::identity();
    out.fixed_view_mut::<3, 4>(0, 0).copy_from(m);
    out
}

fn pad_rotation(m: &Matrix3<f64>) -> Matrix4<f64> {
    let mut out = Matrix4::identity();
    out.fixed_view_mut::<3, 3>(0, 0).copy_from(m);
    out
}

/// Inverse of a homogeneous transform whose 3x3 block is invertible (KITTI's are near-rotations;
/// a singular one would make the calibration meaningless, so NaNs then show the problem).
pub(crate) fn invert(m: &Matrix4<f64>) -> Matrix4<f64> {
    m.try_inverse().unwrap_or_else(|| Matrix4::from_element(f64::NAN))
}

fn parse_numbers(
    text: &str,
    key: &str,
    path: &Path,
    line_no: usize,
) -> Result<Vec<f64>, KittiError> {
    text.split_whitespace()
        .enumerate()
        .map(|(i, word)| {
            word.parse::<f64>().map_err(|_| {
                KittiError::syntax(
                    path,
                    line_no,
                    format!("{key} number {} is {word:?}, not a number", i + 1),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "P0: 1 0 0 0 0 1 0 0 0 0 1 0\nP1: 1 0 0 0 0 1 0 0 0 0 1 0\n\
        P2: 7 0 6 4 0 7 1 2 0 0 1 3\nP3: 1 0 0 0 0 1 0 0 0 0 1 0\n\
        R0_rect: 1 0 0 0 1 0 0 0 1\nTr_velo_to_cam: 0 -1 0 0 0 0 -1 0 1 0 0 0\n\n";

    fn parse(text: &str) -> Result<Calibration, KittiError> {
        Calibration::parse_str(text, Path::new("calib.txt"))
    }

    #[test]
    fn without_imu_line_tr_imu_to_velo_is_none() {
        let calib = parse(SAMPLE).unwrap();
        assert!(calib.tr_imu_to_velo.is_none());
        assert_eq!(calib.p2()[(0, 3)], 4.0);
        assert_eq!(calib.p2()[(2, 3)], 3.0);
    }

    #[test]
    fn wrong_count_names_file_line_and_key() {
        let text = SAMPLE.replace("Tr_velo_to_cam: 0 -1 0 0", "Tr_velo_to_cam: 0 -1 0");
        let err = parse(&text).unwrap_err().to_string();
        assert_eq!(err, "calib.txt:6: Tr_velo_to_cam has 11 numbers, expected 12");
    }

    #[test]
    fn bad_number_and_missing_key_and_duplicate() {
        let err = parse(&SAMPLE.replace("P2: 7", "P2: x7")).unwrap_err().to_string();
        assert_eq!(err, "calib.txt:3: P2 number 1 is \"x7\", not a number");
        let err = parse(&SAMPLE.replace("R0_rect", "R9_rect")).unwrap_err().to_string();
        assert!(err.starts_with("calib.txt: no `R0_rect:` line"), "{err}");
        let err = parse(&format!("{SAMPLE}P0: 1 0 0 0 0 1 0 0 0 0 1 0\n")).unwrap_err().to_string();
        assert_eq!(err, "calib.txt:8: P0 given a second time");
        let err = parse("P0 1 2 3").unwrap_err().to_string();
        assert!(err.starts_with("calib.txt:1: expected `KEY: numbers`"), "{err}");
    }
}
