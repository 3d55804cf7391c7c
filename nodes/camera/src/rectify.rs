//! Rectification as OpenCV's `initUndistortRectifyMap` + `remap` do it (and so image_proc):
//! for each pixel of the rectified image, `(P[:3,:3] · R)⁻¹` gives the ray, the distortion
//! model moves it where the lens put it, and K gives the raw image's pixel there. The map is
//! computed once per calibration ([`RectifyMap::new`]) and applied to every image ([`RectifyMap::remap`]).
//!
//! Models: `plumb_bob` (k1, k2, p1, p2[, k3]) and `rational_polynomial` (k1, k2, p1, p2, k3,
//! k4, k5, k6), OpenCV's radial-tangential model; an empty model with no coefficients is no
//! distortion. `equidistant` (fisheye) and others are refused.
//!
//! Bilinear interpolation follows OpenCV's fixed point exactly: source coordinates rounded (ties
//! to even, as cvRound) to 1/32 pixel, weights in 1/32768, result rounded; taps outside the raw image count as black
//! (BORDER_CONSTANT 0). So the output matches `cv2.remap(..., INTER_LINEAR)` given the same map.

use crate::calibration::{CameraCalibration, PLUMB_BOB, RATIONAL_POLYNOMIAL};
use nalgebra::Matrix3;

/// Sub-pixel steps per pixel of the bilinear map (OpenCV's INTER_TAB_SIZE).
const SUBPIXEL: i32 = 32;
/// Fixed-point scale of the bilinear weights (OpenCV's INTER_REMAP_COEF_SCALE).
const WEIGHT_BITS: u32 = 15;

/// How rectified pixels are read from the raw image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interpolation {
    Bilinear,
    Nearest,
}

/// Why a calibration gives no rectification map.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RectifyError {
    #[error("the camera is uncalibrated (K[0] = 0)")]
    Uncalibrated,
    #[error("distortion_model '{model}': {why}")]
    Unsupported { model: String, why: String },
    #[error("P[:3,:3] · R is singular: no ray for a rectified pixel")]
    Singular,
}

/// OpenCV's radial (rational) and tangential coefficients.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Distortion {
    k: [f64; 6],
    p1: f64,
    p2: f64,
}

impl Distortion {
    fn of(calibration: &CameraCalibration) -> Result<Self, RectifyError> {
        let d = &calibration.d;
        let model = calibration.distortion_model.as_str();
        let coefficient = |i: usize| d.get(i).copied().unwrap_or(0.0);
        let unsupported =
            |why: &str| RectifyError::Unsupported { model: model.into(), why: why.into() };
        match model {
            PLUMB_BOB | RATIONAL_POLYNOMIAL => {
                let k = if model == PLUMB_BOB {
                    [coefficient(0), coefficient(1), coefficient(4), 0.0, 0.0, 0.0]
                } else {
                    [
                        coefficient(0),
                        coefficient(1),
                        coefficient(4),
                        coefficient(5),
                        coefficient(6),
                        coefficient(7),
                    ]
                };
                Ok(Self { k, p1: coefficient(2), p2: coefficient(3) })
            }
            "" if d.iter().all(|&v| v == 0.0) => Ok(Self::default()),
            "" => Err(unsupported("no model named for non-zero coefficients")),
            _ => Err(unsupported("only plumb_bob and rational_polynomial can be rectified")),
        }
    }
}

/// For each pixel of the rectified image (row-major), where it lies in the raw image, in pixels
/// (x right, y down, pixel centres at integers, as OpenCV's maps).
pub fn source_coordinates(calibration: &CameraCalibration) -> Result<Vec<[f32; 2]>, RectifyError> {
    let dist = Distortion::of(calibration)?;
    let k = &calibration.k;
    if k[0] == 0.0 {
        return Err(RectifyError::Uncalibrated);
    }
    let p = &calibration.p;
    let new_camera = Matrix3::new(p[0], p[1], p[2], p[4], p[5], p[6], p[8], p[9], p[10]);
    let r = Matrix3::from_row_slice(&calibration.r);
    let inverse = (new_camera * r).try_inverse().ok_or(RectifyError::Singular)?;
    let ir: Vec<f64> = inverse.transpose().iter().copied().collect(); // row-major
    let (fx, skew, cx, fy, cy) = (k[0], k[1], k[2], k[4], k[5]);
    let [k1, k2, k3, k4, k5, k6] = dist.k;
    let (w, h) = (calibration.width as usize, calibration.height as usize);
    let mut coords = Vec::with_capacity(w * h);
    for i in 0..h {
        let i = i as f64;
        for j in 0..w {
            let j = j as f64;
            let (xh, yh, zh) = (
                ir[0] * j + ir[1] * i + ir[2],
                ir[3] * j + ir[4] * i + ir[5],
                ir[6] * j + ir[7] * i + ir[8],
            );
            let (x, y) = (xh / zh, yh / zh);
            let (x2, y2) = (x * x, y * y);
            let (r2, xy2) = (x2 + y2, 2.0 * x * y);
            let radial =
                (1.0 + ((k3 * r2 + k2) * r2 + k1) * r2) / (1.0 + ((k6 * r2 + k5) * r2 + k4) * r2);
            let xd = x * radial + dist.p1 * xy2 + dist.p2 * (r2 + 2.0 * x2);
            let yd = y * radial + dist.p1 * (r2 + 2.0 * y2) + dist.p2 * xy2;
            // K's skew term too (OpenCV ignores it; it is 0 in every ROS calibration).
            coords.push([(fx * xd + skew * yd + cx) as f32, (fy * yd + cy) as f32]);
        }
    }
    Ok(coords)
}

/// One rectified pixel's bilinear taps: the top-left source pixel and the 1/32 fractions.
#[derive(Debug, Clone, Copy)]
struct BilinearTap {
    x0: i32,
    y0: i32,
    /// fy × 32 + fx, both in 0..32.
    frac: u16,
}

#[derive(Debug, Clone)]
enum Taps {
    Bilinear(Vec<BilinearTap>),
    /// The source pixel index, or `u32::MAX` outside the raw image.
    Nearest(Vec<u32>),
}

/// A rectification map for raw images of one size: rgb8 in, rgb8 of the same size out.
#[derive(Debug, Clone)]
pub struct RectifyMap {
    width: u32,
    height: u32,
    taps: Taps,
    /// Bilinear weights per `frac`, summing to 1 << 15.
    weights: Vec<[i32; 4]>,
}

/// Coordinates further out than this are outside any image (and far from i32 overflow).
const FAR: f32 = (1 << 24) as f32;

impl RectifyMap {
    pub fn new(
        calibration: &CameraCalibration,
        interpolation: Interpolation,
    ) -> Result<Self, RectifyError> {
        let coords = source_coordinates(calibration)?;
        Ok(Self::from_coordinates(&coords, calibration.width, calibration.height, interpolation))
    }

    /// A map from source coordinates per output pixel (as [`source_coordinates`] gives them);
    /// the raw and rectified images are both `width × height`.
    pub fn from_coordinates(
        coords: &[[f32; 2]],
        width: u32,
        height: u32,
        interpolation: Interpolation,
    ) -> Self {
        let inside = |v: f32| v.is_finite() && v.abs() < FAR;
        let taps = match interpolation {
            Interpolation::Bilinear => Taps::Bilinear(
                coords
                    .iter()
                    .map(|&[x, y]| {
                        if !(inside(x) && inside(y)) {
                            return BilinearTap { x0: i32::MIN / 2, y0: i32::MIN / 2, frac: 0 };
                        }
                        let (sx, sy) = (
                            (x * SUBPIXEL as f32).round_ties_even() as i32,
                            (y * SUBPIXEL as f32).round_ties_even() as i32,
                        );
                        let frac =
                            ((sy & (SUBPIXEL - 1)) * SUBPIXEL + (sx & (SUBPIXEL - 1))) as u16;
                        BilinearTap { x0: sx >> 5, y0: sy >> 5, frac }
                    })
                    .collect(),
            ),
            Interpolation::Nearest => Taps::Nearest(
                coords
                    .iter()
                    .map(|&[x, y]| {
                        let (x, y) = (x.round_ties_even(), y.round_ties_even());
                        let within = x >= 0.0 && y >= 0.0 && x < width as f32 && y < height as f32;
                        if within {
                            y as u32 * width + x as u32
                        } else {
                            u32::MAX
                        }
                    })
                    .collect(),
            ),
        };
        let weights = (0..SUBPIXEL * SUBPIXEL)
            .map(|frac| {
                let (fx, fy) = (frac % SUBPIXEL, frac / SUBPIXEL);
                let (gx, gy) = (SUBPIXEL - fx, SUBPIXEL - fy);
                // (a/32)(b/32) · 32768 = a·b·32: exact, and the four sum to 32768.
                [gx * gy * 32, fx * gy * 32, gx * fy * 32, fx * fy * 32]
            })
            .collect();
        Self { width, height, taps, weights }
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// The rectified image of a raw rgb8 image of the map's size (3 × width × height bytes;
    /// a shorter slice gives black where it ends).
    pub fn remap(&self, raw: &[u8]) -> Vec<u8> {
        let (w, h) = (self.width as usize, self.height as usize);
        let mut out = vec![0u8; 3 * w * h];
        let pixel = |x: i32, y: i32| -> [i32; 3] {
            if x < 0 || y < 0 || x as usize >= w || y as usize >= h {
                return [0; 3];
            }
            let i = 3 * (y as usize * w + x as usize);
            match raw.get(i..i + 3) {
                Some(p) => [p[0].into(), p[1].into(), p[2].into()],
                None => [0; 3],
            }
        };
        match &self.taps {
            Taps::Bilinear(taps) => {
                let round = 1 << (WEIGHT_BITS - 1);
                let blend = |wt: &[i32; 4],
                             a: [i32; 3],
                             b: [i32; 3],
                             c: [i32; 3],
                             d: [i32; 3],
                             px: &mut [u8]| {
                    for (ch, v) in px.iter_mut().enumerate() {
                        let sum = wt[0] * a[ch] + wt[1] * b[ch] + wt[2] * c[ch] + wt[3] * d[ch];
                        *v = ((sum + round) >> WEIGHT_BITS).clamp(0, 255) as u8;
                    }
                };
                let rgb = |p: &[u8]| [i32::from(p[0]), i32::from(p[1]), i32::from(p[2])];
                let (wi, hi) = (w as i32, h as i32);
                for (tap, px) in taps.iter().zip(out.chunks_exact_mut(3)) {
                    let (x, y) = (tap.x0, tap.y0);
                    if x < -1 || y < -1 || x >= wi || y >= hi {
                        continue; // every tap outside: black
                    }
                    let wt =
                        self.weights.get(tap.frac as usize).unwrap_or(&[1 << WEIGHT_BITS, 0, 0, 0]);
                    if x >= 0 && y >= 0 && x + 1 < wi && y + 1 < hi {
                        // All four taps inside: two 2-pixel reads.
                        let top = 3 * (y as usize * w + x as usize);
                        let bottom = top + 3 * w;
                        if let (Some(t), Some(b)) =
                            (raw.get(top..top + 6), raw.get(bottom..bottom + 6))
                        {
                            blend(wt, rgb(&t[..3]), rgb(&t[3..]), rgb(&b[..3]), rgb(&b[3..]), px);
                            continue;
                        }
                    }
                    let samples =
                        [pixel(x, y), pixel(x + 1, y), pixel(x, y + 1), pixel(x + 1, y + 1)];
                    blend(wt, samples[0], samples[1], samples[2], samples[3], px);
                }
            }
            Taps::Nearest(taps) => {
                for (&src, px) in taps.iter().zip(out.chunks_exact_mut(3)) {
                    let i = 3 * src as usize;
                    if let Some(p) = raw.get(i..i + 3) {
                        px.copy_from_slice(p);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calibration(model: &str, d: Vec<f64>) -> CameraCalibration {
        CameraCalibration {
            camera_name: String::new(),
            width: 8,
            height: 6,
            distortion_model: model.into(),
            d,
            k: [10.0, 0.0, 3.5, 0.0, 10.0, 2.5, 0.0, 0.0, 1.0],
            r: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
            p: [10.0, 0.0, 3.5, 0.0, 0.0, 10.0, 2.5, 0.0, 0.0, 0.0, 1.0, 0.0],
        }
    }

    #[test]
    fn no_distortion_maps_each_pixel_to_itself() {
        let c = calibration(PLUMB_BOB, vec![0.0; 5]);
        let coords = source_coordinates(&c).unwrap();
        for (i, [x, y]) in coords.iter().enumerate() {
            assert!((x - (i % 8) as f32).abs() < 1e-5 && (y - (i / 8) as f32).abs() < 1e-5);
        }
        let raw: Vec<u8> = (0..3 * 48).map(|v| v as u8).collect();
        for interpolation in [Interpolation::Bilinear, Interpolation::Nearest] {
            let map = RectifyMap::new(&c, interpolation).unwrap();
            assert_eq!(map.remap(&raw), raw);
        }
    }

    #[test]
    fn half_pixel_shift_averages_neighbours_and_borders_are_black() {
        // Source x = output x + 0.5: each output is the mean of two raw pixels; the last column
        // reads half outside (black blends in).
        let coords: Vec<[f32; 2]> = (0..4).map(|i| [i as f32 + 0.5, 0.0]).collect();
        let map = RectifyMap::from_coordinates(&coords, 4, 1, Interpolation::Bilinear);
        let raw = [10, 10, 10, 20, 20, 20, 30, 30, 30, 41, 41, 41];
        assert_eq!(map.remap(&raw), [15, 15, 15, 25, 25, 25, 36, 36, 36, 21, 21, 21]);
        let far = RectifyMap::from_coordinates(
            &[[f32::NAN, 0.0], [-5.0, 0.0], [1e30, 0.0], [0.0, 0.0]],
            4,
            1,
            Interpolation::Bilinear,
        );
        assert_eq!(&far.remap(&raw)[..12], [0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 10, 10]);
    }

    #[test]
    fn models_other_than_radial_tangential_are_refused() {
        let e =
            source_coordinates(&calibration("equidistant", vec![0.1, 0.0, 0.0, 0.0])).unwrap_err();
        assert!(matches!(e, RectifyError::Unsupported { .. }));
        let mut uncalibrated = calibration(PLUMB_BOB, vec![0.0; 5]);
        uncalibrated.k = [0.0; 9];
        assert_eq!(source_coordinates(&uncalibrated).unwrap_err(), RectifyError::Uncalibrated);
        let mut singular = calibration(PLUMB_BOB, vec![0.0; 5]);
        singular.p = [0.0; 12];
        assert_eq!(source_coordinates(&singular).unwrap_err(), RectifyError::Singular);
    }

    #[test]
    fn radial_distortion_moves_points_outward_for_positive_k1() {
        let c = calibration(PLUMB_BOB, vec![0.5, 0.0, 0.0, 0.0, 0.0]);
        let coords = source_coordinates(&c).unwrap();
        // Corner pixel (0, 0): normalised (-0.35, -0.25), r² = 0.185, factor 1.0925.
        let [x, y] = coords[0];
        assert!(
            (x - (3.5 - 3.5 * 1.0925)).abs() < 1e-4 && (y - (2.5 - 2.5 * 1.0925)).abs() < 1e-4,
            "{x} {y}"
        );
    }
}
