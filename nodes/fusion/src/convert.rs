//! Messages to the module's input tensors (docs/MODEL.md, "Module contract").
//!
//! Copies: the image is never copied on the CPU: the tensor is a strided view of the message's
//! buffer. A cloud already laid out as dense little-endian float32 x, y, z, intensity (KITTI,
//! many drivers) is viewed in place too; any other layout takes one gathering copy through
//! [`PointCloudReader`]. On a CUDA device the upload is the only copy.
//!
//! # Safety of the borrowed views
//! `Tensor::from_blob` makes a tensor over memory it does not own. [`ImageTensor`] and
//! [`CloudTensor`] keep that tensor private and carry the lifetime of the message they view, so
//! the borrow checker forbids the message being dropped or changed while the view exists; the
//! crate only hands the tensor to LibTorch for the duration of one module call. Three things
//! remain that Rust cannot check, and the module contract covers them: the module does not write
//! into its inputs (nor is the tensor made writable elsewhere: this crate only reads it), it does
//! not keep them after returning, and its outputs are new tensors. The last is also checked at
//! run time: [`crate::FusionModel`] rejects an output whose data lies in a borrowed buffer.

use crate::error::ConvertError;
use edgefusion_msgs::sensor_msgs::{CameraInfo, Image, PointCloud2, PointCloudReader};
use nalgebra::{Isometry3, Matrix3x4};
use std::marker::PhantomData;
use std::ops::Range;
use tch::{Device, Kind, Tensor};

/// Channels of a supported encoding.
pub fn channels(encoding: &str) -> Option<u32> {
    match encoding {
        "rgb8" | "bgr8" => Some(3),
        "mono8" => Some(1),
        _ => None,
    }
}

/// An image as the module's `image` input: uint8 `[H, W, C]`, viewing the message's buffer.
#[derive(Debug)]
pub struct ImageTensor<'a> {
    tensor: Tensor,
    encoding: &'a str,
    buffer: Range<usize>,
    _message: PhantomData<&'a [u8]>,
}

impl<'a> ImageTensor<'a> {
    /// `[H, W, C]`.
    pub fn size(&self) -> Vec<i64> {
        self.tensor.size()
    }

    pub fn encoding(&self) -> &'a str {
        self.encoding
    }

    /// A contiguous copy that owns its memory (for callers that must keep the pixels).
    pub fn to_owned_tensor(&self) -> Tensor {
        self.tensor.contiguous().copy()
    }

    pub(crate) fn tensor(&self) -> &Tensor {
        &self.tensor
    }

    /// Address range of the borrowed message buffer.
    pub(crate) fn buffer(&self) -> Range<usize> {
        self.buffer.clone()
    }
}

/// Views an image as uint8 `[H, W, C]` with strides `[step, C, 1]` (row padding skipped).
/// Checks the encoding, `step` and data length, and the size against `camera_info` if given.
pub fn image_tensor<'a>(
    image: &'a Image,
    camera_info: Option<&CameraInfo>,
) -> Result<ImageTensor<'a>, ConvertError> {
    let c = channels(&image.encoding)
        .ok_or_else(|| ConvertError::UnsupportedEncoding { encoding: image.encoding.clone() })?;
    let (w, h, step) = (image.width, image.height, image.step);
    if w == 0 || h == 0 {
        return Err(ConvertError::EmptyImage { width: w, height: h });
    }
    if u64::from(step) < u64::from(w) * u64::from(c) {
        return Err(ConvertError::ImageStep { step, width: w, channels: c });
    }
    let expected = u64::from(step) * u64::from(h);
    if image.data.len() as u64 != expected {
        return Err(ConvertError::ImageDataLength {
            actual: image.data.len(),
            expected,
            step,
            height: h,
        });
    }
    if let Some(info) = camera_info {
        if (info.width, info.height) != (w, h) {
            return Err(ConvertError::ImageSizeMismatch {
                image_width: w,
                image_height: h,
                info_width: info.width,
                info_height: info.height,
            });
        }
    }
    let size = [i64::from(h), i64::from(w), i64::from(c)];
    let strides = [i64::from(step), i64::from(c), 1];
    // SAFETY: the sizes and strides address bytes up to (h-1)·step + w·c ≤ step·h = data.len()
    // (checked above), all inside `image.data`, which the returned value borrows for 'a; see
    // the module documentation for what the module itself must not do.
    let tensor = unsafe {
        Tensor::f_from_blob(image.data.as_ptr(), &size, &strides, Kind::Uint8, Device::Cpu)
    }
    .expect("from_blob over a valid CPU buffer");
    Ok(ImageTensor {
        tensor,
        encoding: &image.encoding,
        buffer: address_range(&image.data),
        _message: PhantomData,
    })
}

/// A cloud as the module's `points` input: float32 `[N, 4]` x, y, z, intensity.
#[derive(Debug)]
pub struct CloudTensor<'a> {
    // Declared before `gathered` so that it is dropped first.
    tensor: Tensor,
    /// The gathered copy the tensor views, when the message layout could not be viewed.
    gathered: Option<Vec<f32>>,
    buffer: Range<usize>,
    _message: PhantomData<&'a [u8]>,
}

impl CloudTensor<'_> {
    pub fn len(&self) -> usize {
        self.tensor.size()[0] as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when the tensor views the message's bytes (no copy was made).
    pub fn is_zero_copy(&self) -> bool {
        self.gathered.is_none()
    }

    pub fn to_owned_tensor(&self) -> Tensor {
        self.tensor.copy()
    }

    pub(crate) fn tensor(&self) -> &Tensor {
        &self.tensor
    }

    pub(crate) fn buffer(&self) -> Range<usize> {
        self.buffer.clone()
    }

    /// The 4N values the tensor views.
    fn values(&self) -> &[f32] {
        if let Some(gathered) = &self.gathered {
            return gathered;
        }
        // SAFETY: a zero-copy tensor views `buffer`, the borrowed message bytes (alive for 'a
        // >= &self), which `cloud_tensor` checked to be 4-byte aligned and to hold 4N f32 in
        // host byte order; every bit pattern is a valid f32.
        unsafe { std::slice::from_raw_parts(self.buffer.start as *const f32, 4 * self.len()) }
    }
}

/// Validates a cloud's layout and gives its points as float32 `[N, 4]`: a view of the message
/// when it already is dense float32 LE x, y, z, intensity and 4-byte aligned, else one copy.
pub fn cloud_tensor(cloud: &PointCloud2) -> Result<CloudTensor<'_>, ConvertError> {
    let reader = PointCloudReader::new(cloud)?;
    let n = reader.len() as i64;
    let aligned = cloud.data.as_ptr().align_offset(std::mem::align_of::<f32>()) == 0;
    if reader.is_packed_xyzi_f32_le() && aligned && cfg!(target_endian = "little") && n > 0 {
        // SAFETY: the reader checked that data holds n points of 16 bytes (4 LE f32 on this LE
        // host) and the pointer is 4-byte aligned; `cloud` is borrowed for the value's lifetime.
        let tensor = unsafe {
            Tensor::f_from_blob(cloud.data.as_ptr(), &[n, 4], &[], Kind::Float, Device::Cpu)
        }
        .expect("from_blob over a valid CPU buffer");
        return Ok(CloudTensor {
            tensor,
            gathered: None,
            buffer: address_range(&cloud.data),
            _message: PhantomData,
        });
    }
    if n == 0 {
        return Ok(empty_cloud());
    }
    let mut points = Vec::new();
    reader.read_xyzi_into(&mut points);
    // SAFETY: `points` holds 4n f32 and moves into the returned value, which drops the tensor
    // before it (field order); moving a Vec does not move its heap buffer.
    let tensor = unsafe {
        Tensor::f_from_blob(points.as_ptr().cast(), &[n, 4], &[], Kind::Float, Device::Cpu)
    }
    .expect("from_blob over a valid CPU buffer");
    Ok(CloudTensor {
        tensor,
        buffer: address_range(&points),
        gathered: Some(points),
        _message: PhantomData,
    })
}

/// A float32 `[0, 4]` cloud (owns its nothing).
pub fn empty_cloud() -> CloudTensor<'static> {
    CloudTensor {
        tensor: Tensor::zeros([0, 4], (Kind::Float, Device::Cpu)),
        gathered: Some(Vec::new()),
        buffer: 0..0,
        _message: PhantomData,
    }
}

fn address_range<T>(data: &[T]) -> Range<usize> {
    let start = data.as_ptr() as usize;
    start..start + std::mem::size_of_val(data)
}

/// The module's `lidar_to_image`: `P · T(camera ← lidar)`, 3x4.
#[derive(Debug)]
pub struct Projection {
    pub matrix: Matrix3x4<f64>,
    tensor: Tensor,
}

impl Projection {
    /// A projection from its matrix, unchecked ([`lidar_to_image`] checks).
    pub fn from_matrix(matrix: Matrix3x4<f64>) -> Self {
        let values: Vec<f32> = (0..3)
            .flat_map(|r| (0..4).map(move |c| (r, c)))
            .map(|(r, c)| matrix[(r, c)] as f32)
            .collect();
        Self { matrix, tensor: Tensor::from_slice(&values).view([3, 4]) }
    }

    /// The float32 `[3, 4]` tensor the module takes.
    pub fn tensor(&self) -> &Tensor {
        &self.tensor
    }

    /// Depth (third row) of a lidar-frame point: > 0 in front of the camera.
    pub fn depth(&self, p: [f64; 3]) -> f64 {
        let r = self.matrix.row(2);
        r[0] * p[0] + r[1] * p[1] + r[2] * p[2] + r[3]
    }
}

/// `camera_info.P · camera_from_lidar` (the lidar→camera transform from the tf buffer).
/// Refuses a non-finite P, and a result whose left 3x3 block has rank < 3 (no pixel can be
/// computed reliably from it).
pub fn lidar_to_image(
    camera_info: &CameraInfo,
    camera_from_lidar: &Isometry3<f64>,
    lidar_frame: &str,
) -> Result<Projection, ConvertError> {
    if !camera_info.p.iter().all(|v| v.is_finite()) {
        return Err(ConvertError::NonFiniteProjection {
            frame: camera_info.header.frame_id.clone(),
        });
    }
    let p = Matrix3x4::from_row_slice(&camera_info.p);
    let matrix = p * camera_from_lidar.to_homogeneous();
    let left = matrix.fixed_view::<3, 3>(0, 0).into_owned();
    let sv = left.singular_values();
    let largest = sv.max();
    // Relative threshold: a rank-deficient P (e.g. all zeros, as an uncalibrated driver sends)
    // has a zero singular value; rounding leaves ~1e-16 of the largest.
    if !largest.is_finite() || largest <= 0.0 || sv.min() <= largest * 1e-9 {
        return Err(ConvertError::SingularProjection {
            camera: camera_info.header.frame_id.clone(),
            lidar: lidar_frame.to_string(),
            singular_values: [sv[0], sv[1], sv[2]],
        });
    }
    Ok(Projection::from_matrix(matrix))
}

/// Points of `cloud` with finite x, y, z, and of those, how many are in front of the camera.
/// One pass in Rust over the tensor's memory (a quarter of the cost of the same in tensor ops).
pub fn count_points(cloud: &CloudTensor<'_>, projection: &Projection) -> (i64, i64) {
    let row = projection.matrix.row(2);
    let (mut finite, mut in_front) = (0, 0);
    for p in cloud.values().chunks_exact(4) {
        let (x, y, z) = (f64::from(p[0]), f64::from(p[1]), f64::from(p[2]));
        if x.is_finite() && y.is_finite() && z.is_finite() {
            finite += 1;
            in_front += i64::from(row[0] * x + row[1] * y + row[2] * z + row[3] > 0.0);
        }
    }
    (finite, in_front)
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgefusion_msgs::sensor_msgs::PointField;
    use nalgebra::{Translation3, UnitQuaternion};

    fn image(width: u32, height: u32, encoding: &str, step: u32) -> Image {
        Image {
            width,
            height,
            encoding: encoding.into(),
            step,
            data: (0..step * height).map(|i| (i % 251) as u8).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn image_is_a_strided_view_of_the_message_skipping_row_padding() {
        // 3x2 rgb8 with 2 bytes of padding per row.
        let img = image(3, 2, "bgr8", 11);
        let t = image_tensor(&img, None).unwrap();
        assert_eq!(t.size(), [2, 3, 3]);
        assert_eq!(t.tensor().data_ptr() as usize, img.data.as_ptr() as usize, "no copy");
        let owned = t.to_owned_tensor();
        let values = Vec::<u8>::try_from(&owned.view([-1])).unwrap();
        let expected: Vec<u8> = img.data.chunks(11).flat_map(|row| row[..9].to_vec()).collect();
        assert_eq!(values, expected);
        assert_eq!(image_tensor(&image(4, 2, "mono8", 4), None).unwrap().size(), [2, 4, 1]);
    }

    #[test]
    fn image_errors_name_encoding_and_sizes() {
        let e = image_tensor(&image(2, 2, "yuv422", 4), None).unwrap_err();
        assert_eq!(e, ConvertError::UnsupportedEncoding { encoding: "yuv422".into() });
        let e = image_tensor(&image(4, 2, "rgb8", 10), None).unwrap_err();
        assert_eq!(e, ConvertError::ImageStep { step: 10, width: 4, channels: 3 });
        let mut short = image(2, 2, "rgb8", 6);
        short.data.pop();
        assert!(matches!(image_tensor(&short, None), Err(ConvertError::ImageDataLength { .. })));
        let info = CameraInfo { width: 2, height: 3, ..Default::default() };
        let e = image_tensor(&image(2, 2, "rgb8", 6), Some(&info)).unwrap_err();
        assert!(matches!(e, ConvertError::ImageSizeMismatch { info_height: 3, .. }));
        assert!(matches!(
            image_tensor(&image(0, 2, "rgb8", 0), None),
            Err(ConvertError::EmptyImage { .. })
        ));
    }

    fn cloud(fields: Vec<PointField>, point_step: u32, values: &[f32]) -> PointCloud2 {
        let per_point = values.len() / 2;
        let mut data = Vec::new();
        for p in values.chunks(per_point) {
            let mut bytes = vec![0u8; point_step as usize];
            for (field, v) in fields.iter().zip(p) {
                let at = field.offset as usize;
                bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
            }
            data.extend(bytes);
        }
        PointCloud2 {
            height: 1,
            width: 2,
            fields,
            point_step,
            row_step: 2 * point_step,
            data,
            ..Default::default()
        }
    }

    fn fields(offsets: &[u32]) -> Vec<PointField> {
        ["x", "y", "z", "intensity"]
            .iter()
            .zip(offsets)
            .map(|(n, o)| PointField::new(n, *o, PointField::FLOAT32, 1))
            .collect()
    }

    #[test]
    fn packed_clouds_are_viewed_and_others_gathered_to_the_same_values() {
        let values = [1.0, 2.0, 3.0, 0.5, -1.0, -2.0, -3.0, 0.25];
        let packed = cloud(fields(&[0, 4, 8, 12]), 16, &values);
        let t = cloud_tensor(&packed).unwrap();
        assert!(t.is_zero_copy());
        assert_eq!(t.tensor().data_ptr() as usize, packed.data.as_ptr() as usize);
        let padded = cloud(fields(&[0, 4, 8, 16]), 24, &values);
        let g = cloud_tensor(&padded).unwrap();
        assert!(!g.is_zero_copy());
        for t in [&t, &g] {
            assert_eq!(t.tensor().size(), [2, 4]);
            assert_eq!(Vec::<f32>::try_from(&t.tensor().view([-1])).unwrap(), values);
        }
        // Without intensity: zeros.
        let xyz = cloud(fields(&[0, 4, 8]), 12, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let t = cloud_tensor(&xyz).unwrap();
        let flat = Vec::<f32>::try_from(&t.tensor().view([-1])).unwrap();
        assert_eq!(flat, [1.0, 2.0, 3.0, 0.0, 4.0, 5.0, 6.0, 0.0]);
    }

    #[test]
    fn projection_composes_p_with_the_transform_and_refuses_singular_ones() {
        let mut info = CameraInfo::default();
        info.header.frame_id = "cam".into();
        info.p = [700.0, 0.0, 600.0, 0.0, 0.0, 700.0, 200.0, 0.0, 0.0, 0.0, 1.0, 0.0];
        // Camera optical frame from lidar: x_cam = -y, y_cam = -z, z_cam = x, 0.5 m offset.
        let rotation = UnitQuaternion::from_matrix(&nalgebra::Matrix3::new(
            0.0, -1.0, 0.0, 0.0, 0.0, -1.0, 1.0, 0.0, 0.0,
        ));
        let camera_from_lidar = Isometry3::from_parts(Translation3::new(0.0, 0.0, 0.5), rotation);
        let m = lidar_to_image(&info, &camera_from_lidar, "lidar").unwrap();
        // A point 9.5 m ahead, 1 m left, at lidar height: (-1, 0, 10) in the camera frame.
        let pixel = m.matrix * nalgebra::Vector4::new(9.5, 1.0, 0.0, 1.0);
        assert!((pixel.x / pixel.z - (600.0 - 70.0)).abs() < 1e-9);
        assert!((pixel.y / pixel.z - 200.0).abs() < 1e-9);
        assert!((m.depth([9.5, 1.0, 0.0]) - 10.0).abs() < 1e-12);
        let t = Vec::<f32>::try_from(&m.tensor().view([-1])).unwrap();
        assert_eq!(t[0], m.matrix[(0, 0)] as f32);

        info.p = [0.0; 12];
        assert!(matches!(
            lidar_to_image(&info, &camera_from_lidar, "lidar"),
            Err(ConvertError::SingularProjection { .. })
        ));
        // Rank 2: the third row repeats the first.
        info.p = [700.0, 0.0, 600.0, 0.0, 0.0, 700.0, 200.0, 0.0, 700.0, 0.0, 600.0, 0.0];
        let e = lidar_to_image(&info, &camera_from_lidar, "lidar").unwrap_err();
        assert!(e.to_string().contains("cam") && e.to_string().contains("lidar"), "{e}");
        info.p[0] = f64::INFINITY;
        assert!(matches!(
            lidar_to_image(&info, &camera_from_lidar, "lidar"),
            Err(ConvertError::NonFiniteProjection { .. })
        ));
    }

    #[test]
    fn point_counts_ignore_non_finite_rows_and_points_behind() {
        let projection = Projection::from_matrix(Matrix3x4::new(
            0.0, -700.0, 0.0, 0.0, 0.0, 0.0, -700.0, 0.0, 1.0, 0.0, 0.0, 0.0,
        ));
        let values = [5.0, 0.0, 0.0, 0.0, f32::NAN, 0.0, 0.0, 0.0];
        let c = cloud(fields(&[0, 4, 8, 12]), 16, &values);
        assert_eq!(count_points(&cloud_tensor(&c).unwrap(), &projection), (1, 1));
        let values = [-5.0, 0.0, 0.0, 0.0, -1.0, 3.0, 0.0, 0.0];
        let c = cloud(fields(&[0, 4, 8, 12]), 16, &values);
        assert_eq!(count_points(&cloud_tensor(&c).unwrap(), &projection), (2, 0));
        assert_eq!(count_points(&empty_cloud(), &projection), (0, 0));
    }
}
