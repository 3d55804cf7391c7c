//! Reading x, y, z and intensity out of a `PointCloud2`, whatever its layout.
//!
//! This is the one place the stack interprets cloud bytes: the layout is validated once
//! ([`PointCloudReader::new`]), after which every read is in bounds by construction. Any field
//! datatype (INT8..FLOAT64) and either byte order is read and converted to `f32` (integers keep
//! their raw value: a UINT16 intensity stays 0..65535). Rows may be padded (`row_step` larger than
//! `width * point_step`) and points may carry other fields or padding (`point_step` larger than the
//! four fields). A cloud without an `intensity` field reads intensity 0. Other fields (a `ring`,
//! a per-point `time`) are read through [`PointCloudReader::field`], in f32 or, for time stamps
//! that need the precision, f64 ([`FieldReader::read_f64`]).

use super::{PointCloud2, PointField};

/// Why a PointCloud2's layout cannot be read. Each names the field or the numbers at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointCloudError {
    #[error(
        "PointCloud2 row_step {row_step} is smaller than width {width} x point_step {point_step}"
    )]
    RowStep { row_step: u32, width: u32, point_step: u32 },
    #[error(
        "PointCloud2 data has {actual} bytes, but row_step {row_step} x height {height} is {expected}"
    )]
    DataLength { actual: usize, expected: u64, row_step: u32, height: u32 },
    #[error(
        "PointCloud2 field '{field}' has unknown datatype {datatype} (known: 1 INT8 .. 8 FLOAT64)"
    )]
    UnknownDatatype { field: String, datatype: u8 },
    #[error(
        "PointCloud2 field '{field}' (offset {offset}, {count} x {size} bytes) ends past point_step {point_step}"
    )]
    FieldOutsidePoint { field: String, offset: u32, size: u32, count: u32, point_step: u32 },
    #[error("PointCloud2 field '{field}' has count 0")]
    EmptyField { field: String },
    #[error("PointCloud2 has no field '{field}' (fields: {present})")]
    MissingField { field: &'static str, present: String },
}

/// A PointField datatype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datatype {
    Int8,
    UInt8,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Float32,
    Float64,
}

impl Datatype {
    /// The datatype of a `PointField::datatype` code, or None for an unknown code.
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            PointField::INT8 => Self::Int8,
            PointField::UINT8 => Self::UInt8,
            PointField::INT16 => Self::Int16,
            PointField::UINT16 => Self::UInt16,
            PointField::INT32 => Self::Int32,
            PointField::UINT32 => Self::UInt32,
            PointField::FLOAT32 => Self::Float32,
            PointField::FLOAT64 => Self::Float64,
            _ => return None,
        })
    }

    pub fn size(self) -> usize {
        match self {
            Self::Int8 | Self::UInt8 => 1,
            Self::Int16 | Self::UInt16 => 2,
            Self::Int32 | Self::UInt32 | Self::Float32 => 4,
            Self::Float64 => 8,
        }
    }
}

/// Where one scalar sits in a point and how to decode it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldReader {
    pub offset: usize,
    pub datatype: Datatype,
    pub big_endian: bool,
}

impl FieldReader {
    /// The value in `point` (one point's bytes), as f32. `point` must hold the field: the
    /// reader's validation guarantees it for points it hands out.
    #[inline]
    pub fn read(&self, point: &[u8]) -> f32 {
        let b = &point[self.offset..self.offset + self.datatype.size()];
        macro_rules! num {
            ($t:ty) => {{
                let bytes = b.try_into().expect("field size checked");
                (if self.big_endian {
                    <$t>::from_be_bytes(bytes)
                } else {
                    <$t>::from_le_bytes(bytes)
                }) as f32
            }};
        }
        match self.datatype {
            Datatype::Int8 => b[0] as i8 as f32,
            Datatype::UInt8 => b[0] as f32,
            Datatype::Int16 => num!(i16),
            Datatype::UInt16 => num!(u16),
            Datatype::Int32 => num!(i32),
            Datatype::UInt32 => num!(u32),
            Datatype::Float32 => num!(f32),
            Datatype::Float64 => num!(f64),
        }
    }

    /// The value in `point` as f64: exact for every datatype (a float64 or uint32 per-point
    /// time keeps digits that f32 would round away). Same precondition as [`Self::read`].
    #[inline]
    pub fn read_f64(&self, point: &[u8]) -> f64 {
        let b = &point[self.offset..self.offset + self.datatype.size()];
        macro_rules! num {
            ($t:ty) => {{
                let bytes = b.try_into().expect("field size checked");
                f64::from(if self.big_endian {
                    <$t>::from_be_bytes(bytes)
                } else {
                    <$t>::from_le_bytes(bytes)
                })
            }};
        }
        match self.datatype {
            Datatype::Int8 => f64::from(b[0] as i8),
            Datatype::UInt8 => f64::from(b[0]),
            Datatype::Int16 => num!(i16),
            Datatype::UInt16 => num!(u16),
            Datatype::Int32 => num!(i32),
            Datatype::UInt32 => num!(u32),
            Datatype::Float32 => num!(f32),
            Datatype::Float64 => num!(f64),
        }
    }
}

/// Bytes per point of the packed layout [`packed_xyzi`] declares.
pub const PACKED_XYZI_STEP: usize = 16;

/// A cloud in the packed layout lidars and KITTI use and the readers take without a copy:
/// little-endian float32 x, y, z, intensity at offsets 0, 4, 8, 12, one row, no padding.
/// `data.len()` must be a multiple of [`PACKED_XYZI_STEP`]; `is_dense` says whether every value
/// is finite.
pub fn packed_xyzi(header: crate::std_msgs::Header, data: Vec<u8>) -> PointCloud2 {
    debug_assert_eq!(data.len() % PACKED_XYZI_STEP, 0);
    let count = (data.len() / PACKED_XYZI_STEP) as u32;
    let is_dense =
        data.chunks_exact(4).all(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]).is_finite());
    PointCloud2 {
        header,
        height: 1,
        width: count,
        fields: ["x", "y", "z", "intensity"]
            .iter()
            .enumerate()
            .map(|(i, name)| PointField::new(name, 4 * i as u32, PointField::FLOAT32, 1))
            .collect(),
        is_bigendian: false,
        point_step: PACKED_XYZI_STEP as u32,
        row_step: PACKED_XYZI_STEP as u32 * count,
        data,
        is_dense,
    }
}

/// A validated view of a cloud's points as x, y, z, intensity.
#[derive(Debug, Clone)]
pub struct PointCloudReader<'a> {
    data: &'a [u8],
    /// All fields, each validated by [`PointCloudReader::new`] (known datatype, inside a point).
    fields: &'a [PointField],
    big_endian: bool,
    width: usize,
    height: usize,
    point_step: usize,
    row_step: usize,
    x: FieldReader,
    y: FieldReader,
    z: FieldReader,
    intensity: Option<FieldReader>,
}

impl<'a> PointCloudReader<'a> {
    /// Checks the layout: data length = row_step x height, row_step >= width x point_step, every
    /// field a known datatype lying inside point_step, and x, y, z present.
    pub fn new(cloud: &'a PointCloud2) -> Result<Self, PointCloudError> {
        let (width, height, point_step) = (cloud.width, cloud.height, cloud.point_step);
        if u64::from(cloud.row_step) < u64::from(width) * u64::from(point_step) {
            return Err(PointCloudError::RowStep { row_step: cloud.row_step, width, point_step });
        }
        let expected = u64::from(cloud.row_step) * u64::from(height);
        if cloud.data.len() as u64 != expected {
            return Err(PointCloudError::DataLength {
                actual: cloud.data.len(),
                expected,
                row_step: cloud.row_step,
                height,
            });
        }
        for field in &cloud.fields {
            let datatype = Datatype::from_code(field.datatype).ok_or_else(|| {
                PointCloudError::UnknownDatatype {
                    field: field.name.clone(),
                    datatype: field.datatype,
                }
            })?;
            let size = datatype.size() as u64;
            if u64::from(field.offset) + size * u64::from(field.count.max(1))
                > u64::from(point_step)
            {
                return Err(PointCloudError::FieldOutsidePoint {
                    field: field.name.clone(),
                    offset: field.offset,
                    size: size as u32,
                    count: field.count,
                    point_step,
                });
            }
        }
        let find = |name: &'static str| -> Result<Option<FieldReader>, PointCloudError> {
            let Some(field) = cloud.fields.iter().find(|f| f.name == name) else {
                return Ok(None);
            };
            if field.count == 0 {
                return Err(PointCloudError::EmptyField { field: field.name.clone() });
            }
            Ok(Some(FieldReader {
                offset: field.offset as usize,
                datatype: Datatype::from_code(field.datatype).expect("checked above"),
                big_endian: cloud.is_bigendian,
            }))
        };
        let required = |name: &'static str| {
            find(name)?.ok_or_else(|| PointCloudError::MissingField {
                field: name,
                present: cloud
                    .fields
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        };
        Ok(Self {
            data: &cloud.data,
            fields: &cloud.fields,
            big_endian: cloud.is_bigendian,
            width: width as usize,
            height: height as usize,
            point_step: point_step as usize,
            row_step: cloud.row_step as usize,
            x: required("x")?,
            y: required("y")?,
            z: required("z")?,
            intensity: find("intensity")?,
        })
    }

    /// Number of points (width x height), including any with non-finite coordinates.
    pub fn len(&self) -> usize {
        self.width * self.height
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn has_intensity(&self) -> bool {
        self.intensity.is_some()
    }

    /// The reader of any field by name (the first of that name), e.g. `ring` or `time`; None
    /// when the cloud has no such field or its count is 0. Its datatype and extent were
    /// validated with the layout, so reading it from [`Self::point_bytes`] is in bounds.
    pub fn field(&self, name: &str) -> Option<FieldReader> {
        let field = self.fields.iter().find(|f| f.name == name).filter(|f| f.count > 0)?;
        Some(FieldReader {
            offset: field.offset as usize,
            datatype: Datatype::from_code(field.datatype)?,
            big_endian: self.big_endian,
        })
    }

    /// The first of `names` the cloud has, e.g. `["time", "t", "timestamp"]` for the per-point
    /// time that drivers name differently.
    pub fn any_field(&self, names: &[&str]) -> Option<FieldReader> {
        names.iter().find_map(|name| self.field(name))
    }

    /// True when the bytes already are a dense little-endian float32 `[N, 4]` array of x, y, z,
    /// intensity (offsets 0, 4, 8, 12, point_step 16, no row padding): the layout KITTI and
    /// many drivers publish, which a consumer may use in place without reading point by point.
    pub fn is_packed_xyzi_f32_le(&self) -> bool {
        let f32_le_at = |f: &FieldReader, offset| {
            f.offset == offset && f.datatype == Datatype::Float32 && !f.big_endian
        };
        self.point_step == 16
            && (self.height <= 1 || self.row_step == 16 * self.width)
            && f32_le_at(&self.x, 0)
            && f32_le_at(&self.y, 4)
            && f32_le_at(&self.z, 8)
            && self.intensity.as_ref().is_some_and(|i| f32_le_at(i, 12))
    }

    /// The cloud's bytes (all rows, including padding).
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Each point's bytes, row by row.
    pub fn point_bytes(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let (data, row_step, row_len, step) =
            (self.data, self.row_step, self.width * self.point_step, self.point_step);
        (0..self.height).flat_map(move |r| data[r * row_step..][..row_len].chunks_exact(step))
    }

    /// x, y, z, intensity of one point's bytes (from [`Self::point_bytes`]).
    #[inline]
    pub fn decode(&self, point: &[u8]) -> [f32; 4] {
        [
            self.x.read(point),
            self.y.read(point),
            self.z.read(point),
            self.intensity.map_or(0.0, |i| i.read(point)),
        ]
    }

    /// x, y, z, intensity of every point, row by row.
    pub fn points(&self) -> impl Iterator<Item = [f32; 4]> + '_ {
        self.point_bytes().map(|p| self.decode(p))
    }

    /// The point at `index` (row-major), or None past the end.
    pub fn point(&self, index: usize) -> Option<[f32; 4]> {
        if index >= self.len() {
            return None;
        }
        let start = (index / self.width) * self.row_step + (index % self.width) * self.point_step;
        Some(self.decode(&self.data[start..start + self.point_step]))
    }

    /// Appends x, y, z, intensity of every point to `out` (4 values per point, row by row).
    pub fn read_xyzi_into(&self, out: &mut Vec<f32>) {
        out.reserve(4 * self.len());
        if self.is_packed_xyzi_f32_le() {
            // Same values as the general path, without per-field dispatch.
            out.extend(
                self.data[..16 * self.len()]
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))),
            );
            return;
        }
        for point in self.point_bytes() {
            out.extend_from_slice(&self.decode(point));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cloud(fields: Vec<PointField>, point_step: u32, points: &[Vec<u8>]) -> PointCloud2 {
        let data: Vec<u8> = points.concat();
        PointCloud2 {
            height: 1,
            width: points.len() as u32,
            fields,
            point_step,
            row_step: point_step * points.len() as u32,
            data,
            ..Default::default()
        }
    }

    fn xyz_fields(datatype: u8, size: u32) -> Vec<PointField> {
        ["x", "y", "z"]
            .iter()
            .enumerate()
            .map(|(i, n)| PointField::new(n, i as u32 * size, datatype, 1))
            .collect()
    }

    #[test]
    fn float64_xyz_without_intensity_reads_as_f32_with_zero_intensity() {
        let point =
            |x: f64, y: f64, z: f64| [x, y, z].iter().flat_map(|v| v.to_le_bytes()).collect();
        let c = cloud(
            xyz_fields(PointField::FLOAT64, 8),
            24,
            &[point(1.5, -2.25, 3.0), point(100.125, 0.0, -1e-3)],
        );
        let r = PointCloudReader::new(&c).unwrap();
        assert!(!r.has_intensity());
        assert!(!r.is_packed_xyzi_f32_le());
        let pts: Vec<_> = r.points().collect();
        assert_eq!(pts, vec![[1.5, -2.25, 3.0, 0.0], [100.125, 0.0, -1e-3_f64 as f32, 0.0]]);
    }

    #[test]
    fn padding_inside_points_and_rows_is_skipped() {
        // Velodyne-like: x y z at 0/4/8, 4 bytes padding, intensity at 16, ring (u16) at 20,
        // point_step 32; two rows of two points, each row padded by 8 bytes.
        let mut fields = xyz_fields(PointField::FLOAT32, 4);
        fields.push(PointField::new("intensity", 16, PointField::FLOAT32, 1));
        fields.push(PointField::new("ring", 20, PointField::UINT16, 1));
        let mut data = Vec::new();
        for row in 0..2u8 {
            for col in 0..2u8 {
                let mut p = vec![0xAA; 32];
                let v = f32::from(row * 10 + col);
                for (i, off) in [0, 4, 8, 16].iter().enumerate() {
                    p[*off..off + 4].copy_from_slice(&(v + i as f32 / 10.0).to_le_bytes());
                }
                data.extend(p);
            }
            data.extend([0xFF; 8]);
        }
        let c = PointCloud2 {
            height: 2,
            width: 2,
            fields,
            point_step: 32,
            row_step: 72,
            data,
            ..Default::default()
        };
        let r = PointCloudReader::new(&c).unwrap();
        let mut flat = Vec::new();
        r.read_xyzi_into(&mut flat);
        assert_eq!(flat.len(), 16);
        assert_eq!(&flat[12..], &[11.0, 11.1, 11.2, 11.3]);
        assert_eq!(r.point(2), Some([10.0, 10.1, 10.2, 10.3]));
        assert_eq!(r.point(4), None);
    }

    #[test]
    fn other_fields_are_read_by_name_with_f64_precision() {
        // Ouster-like: x y z f32, intensity f32, t u32 (ns), ring u16, a float64 time at 24.
        let mut fields = xyz_fields(PointField::FLOAT32, 4);
        fields.push(PointField::new("intensity", 12, PointField::FLOAT32, 1));
        fields.push(PointField::new("t", 16, PointField::UINT32, 1));
        fields.push(PointField::new("ring", 20, PointField::UINT16, 1));
        fields.push(PointField::new("timestamp", 24, PointField::FLOAT64, 1));
        for big_endian in [false, true] {
            let mut p = Vec::new();
            let put = |p: &mut Vec<u8>, le: &[u8], be: &[u8]| {
                p.extend_from_slice(if big_endian { be } else { le })
            };
            for v in [1.0f32, 2.0, 3.0, 40.0] {
                put(&mut p, &v.to_le_bytes(), &v.to_be_bytes());
            }
            put(&mut p, &123_456_789u32.to_le_bytes(), &123_456_789u32.to_be_bytes());
            put(&mut p, &63u16.to_le_bytes(), &63u16.to_be_bytes());
            p.extend([0, 0]);
            let t = 1_700_000_000.000_000_1_f64;
            put(&mut p, &t.to_le_bytes(), &t.to_be_bytes());
            let mut c = cloud(fields.clone(), 32, &[p]);
            c.is_bigendian = big_endian;
            let r = PointCloudReader::new(&c).unwrap();
            let point = r.point_bytes().next().unwrap();
            assert_eq!(r.decode(point), [1.0, 2.0, 3.0, 40.0]);
            assert_eq!(r.field("ring").unwrap().read(point), 63.0);
            assert_eq!(r.any_field(&["time", "t"]).unwrap().read_f64(point), 123_456_789.0);
            assert_eq!(r.field("timestamp").unwrap().read_f64(point), t);
            assert_eq!(r.field("rgb"), None);
        }
    }

    #[test]
    fn big_endian_and_integer_fields_convert() {
        let fields = vec![
            PointField::new("x", 0, PointField::FLOAT32, 1),
            PointField::new("y", 4, PointField::INT16, 1),
            PointField::new("z", 6, PointField::INT8, 1),
            PointField::new("intensity", 7, PointField::UINT16, 1),
        ];
        let mut p = Vec::new();
        p.extend(2.5f32.to_be_bytes());
        p.extend((-300i16).to_be_bytes());
        p.push((-7i8) as u8);
        p.extend(65000u16.to_be_bytes());
        p.push(0);
        let mut c = cloud(fields, 10, &[p]);
        c.is_bigendian = true;
        let r = PointCloudReader::new(&c).unwrap();
        assert_eq!(r.point(0), Some([2.5, -300.0, -7.0, 65000.0]));
        let mut flat = Vec::new();
        r.read_xyzi_into(&mut flat);
        assert_eq!(flat, vec![2.5, -300.0, -7.0, 65000.0]);
    }

    #[test]
    fn packed_kitti_layout_is_recognised_and_read_alike() {
        let mut fields = xyz_fields(PointField::FLOAT32, 4);
        fields.push(PointField::new("intensity", 12, PointField::FLOAT32, 1));
        let p: Vec<u8> = [1.0f32, 2.0, 3.0, 0.5].iter().flat_map(|v| v.to_le_bytes()).collect();
        let c = cloud(fields, 16, &[p.clone(), p]);
        let r = PointCloudReader::new(&c).unwrap();
        assert!(r.is_packed_xyzi_f32_le());
        let mut flat = Vec::new();
        r.read_xyzi_into(&mut flat);
        assert_eq!(flat, [1.0, 2.0, 3.0, 0.5, 1.0, 2.0, 3.0, 0.5]);
        assert_eq!(r.points().collect::<Vec<_>>(), vec![[1.0, 2.0, 3.0, 0.5]; 2]);
    }

    #[test]
    fn truncated_data_is_an_error_naming_the_lengths() {
        let mut c = cloud(xyz_fields(PointField::FLOAT32, 4), 12, &[vec![0; 12], vec![0; 12]]);
        c.data.truncate(20);
        let e = PointCloudReader::new(&c).unwrap_err();
        assert_eq!(
            e,
            PointCloudError::DataLength { actual: 20, expected: 24, row_step: 24, height: 1 }
        );
        assert!(e.to_string().contains("20 bytes"), "{e}");
    }

    #[test]
    fn unknown_datatype_names_the_field() {
        let mut fields = xyz_fields(PointField::FLOAT32, 4);
        fields.push(PointField::new("rgb", 12, 9, 1));
        let c = cloud(fields, 16, &[vec![0; 16]]);
        let e = PointCloudReader::new(&c).unwrap_err();
        assert_eq!(e, PointCloudError::UnknownDatatype { field: "rgb".into(), datatype: 9 });
    }

    #[test]
    fn layout_errors_name_what_is_wrong() {
        // z's 4 bytes at offset 8 do not fit a 10-byte point.
        let c = cloud(xyz_fields(PointField::FLOAT32, 4), 10, &[vec![0; 10]]);
        let e = PointCloudReader::new(&c).unwrap_err();
        assert!(
            matches!(&e, PointCloudError::FieldOutsidePoint { field, offset: 8, .. } if field == "z")
        );
        assert!(e.to_string().contains("'z'"), "{e}");

        let c = cloud(xyz_fields(PointField::FLOAT32, 4)[..2].to_vec(), 12, &[vec![0; 12]]);
        let e = PointCloudReader::new(&c).unwrap_err();
        assert_eq!(e, PointCloudError::MissingField { field: "z", present: "x, y".into() });

        let mut c = cloud(xyz_fields(PointField::FLOAT32, 4), 12, &[vec![0; 12], vec![0; 12]]);
        c.row_step = 20;
        c.data = vec![0; 20];
        let e = PointCloudReader::new(&c).unwrap_err();
        assert_eq!(e, PointCloudError::RowStep { row_step: 20, width: 2, point_step: 12 });

        let mut fields = xyz_fields(PointField::FLOAT32, 4);
        fields[1].count = 0;
        let e = PointCloudReader::new(&cloud(fields, 12, &[vec![0; 12]])).unwrap_err();
        assert_eq!(e, PointCloudError::EmptyField { field: "y".into() });

        // A default (all-empty) message has no x.
        let e = PointCloudReader::new(&PointCloud2::default()).unwrap_err();
        assert!(matches!(e, PointCloudError::MissingField { field: "x", .. }));
    }

    #[test]
    fn zero_points_is_a_valid_empty_cloud() {
        let c = cloud(xyz_fields(PointField::FLOAT32, 4), 12, &[]);
        let r = PointCloudReader::new(&c).unwrap();
        assert!(r.is_empty());
        assert_eq!(r.points().count(), 0);
        assert_eq!(r.point(0), None);
    }

    #[test]
    fn huge_declared_sizes_do_not_overflow() {
        let mut c = cloud(xyz_fields(PointField::FLOAT32, 4), 12, &[vec![0; 12]]);
        c.width = u32::MAX;
        c.height = u32::MAX;
        c.row_step = u32::MAX;
        c.point_step = 12;
        assert!(matches!(PointCloudReader::new(&c).unwrap_err(), PointCloudError::RowStep { .. }));
        c.point_step = 1;
        assert!(matches!(
            PointCloudReader::new(&c).unwrap_err(),
            PointCloudError::DataLength { .. }
        ));
    }

    /// Random layouts (a fixed-seed LCG, no extra crates): whatever the header says, the reader
    /// either refuses the cloud or reads every point without panicking.
    #[test]
    fn random_layouts_never_panic() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u32| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) % u64::from(n.max(1))) as u32
        };
        let mut accepted = 0;
        for _ in 0..20_000 {
            let names = ["x", "y", "z", "intensity", "ring"];
            let fields = (0..next(6))
                .map(|i| PointField::new(names[i as usize % 5], next(24), next(10) as u8, next(3)))
                .collect();
            let (width, height, point_step) = (next(5), next(4), next(33));
            let row_step = width * point_step + next(3) * next(9);
            let len = (row_step * height) as i64 + i64::from(next(3)) - 1;
            let cloud = PointCloud2 {
                width,
                height,
                fields,
                point_step,
                row_step,
                is_bigendian: next(2) == 1,
                data: vec![0x5A; len.max(0) as usize],
                ..Default::default()
            };
            if let Ok(reader) = PointCloudReader::new(&cloud) {
                accepted += 1;
                let mut flat = Vec::new();
                reader.read_xyzi_into(&mut flat);
                assert_eq!(flat.len(), 4 * reader.len());
                assert_eq!(reader.points().count(), reader.len());
                for i in 0..=reader.len() {
                    let _ = reader.point(i);
                }
            }
        }
        assert!(accepted > 100, "the generator also makes valid clouds ({accepted})");
    }
}
