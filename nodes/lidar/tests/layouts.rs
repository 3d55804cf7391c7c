//! Any PointCloud2 layout gives the same output as the plain one, and bad clouds are refused
//! with an error naming what is wrong, a counter per reason, and no effect on later clouds.
//! The points are KITTI 000008's, re-encoded here in other layouts.

mod common;

use edgefusion_lidar::{Counter, LidarError, LidarNode, LidarParams};
use edgefusion_msgs::sensor_msgs::{PointCloud2, PointCloudError, PointCloudReader, PointField};
use edgefusion_msgs::tf2_msgs::TFMessage;

fn node() -> Option<LidarNode> {
    let mut node = LidarNode::new(LidarParams::default()).unwrap();
    node.on_tf_static(&common::kitti_tf()?).unwrap();
    Some(node)
}

fn plain() -> Option<PointCloud2> {
    common::frame_000008().map(|f| f.cloud.unwrap())
}

/// How to lay the points out.
#[derive(Clone, Copy)]
struct Layout {
    float64: bool,
    big_endian: bool,
    /// Unused bytes inside each point (after the fields).
    point_padding: u32,
    /// Unused bytes at the end of each row.
    row_padding: u32,
    rows: u32,
    /// Insert a NaN point after every `nan_every` points (0: none).
    nan_every: usize,
    intensity: bool,
}

/// The points of `cloud` in `layout`: x, y, z, then intensity (float32), ring (uint16) and
/// time (float64), then padding. Also returns how many NaN points were inserted.
fn relayout(cloud: &PointCloud2, layout: Layout) -> (PointCloud2, usize) {
    let source: Vec<[f32; 4]> = PointCloudReader::new(cloud).unwrap().points().collect();
    let mut points = Vec::new();
    let mut nans = 0;
    for (i, p) in source.iter().enumerate() {
        points.push(*p);
        if layout.nan_every > 0 && i % layout.nan_every == 0 {
            let junk = [f32::NAN, 1.0, f32::NAN, 0.5];
            points.push(if i % 2 == 0 { junk } else { [3.0, 4.0, f32::INFINITY, 0.0] });
            nans += 1;
        }
    }
    while points.len() % layout.rows as usize != 0 {
        points.push([f32::NAN; 4]);
        nans += 1;
    }
    let size = if layout.float64 { 8 } else { 4 };
    let datatype = if layout.float64 { PointField::FLOAT64 } else { PointField::FLOAT32 };
    let mut fields: Vec<PointField> = ["x", "y", "z"]
        .iter()
        .enumerate()
        .map(|(i, n)| PointField::new(n, i as u32 * size, datatype, 1))
        .collect();
    let mut offset = 3 * size;
    if layout.intensity {
        fields.push(PointField::new("intensity", offset, PointField::FLOAT32, 1));
        offset += 4;
    }
    fields.push(PointField::new("ring", offset, PointField::UINT16, 1));
    offset += 2;
    fields.push(PointField::new("time", offset, PointField::FLOAT64, 1));
    offset += 8;
    let point_step = offset + layout.point_padding;
    let width = (points.len() / layout.rows as usize) as u32;
    let row_step = width * point_step + layout.row_padding;
    let mut data = Vec::new();
    let be = layout.big_endian;
    for row in points.chunks(width as usize) {
        for (i, p) in row.iter().enumerate() {
            for v in &p[..3] {
                if layout.float64 {
                    let v = f64::from(*v);
                    data.extend(if be { v.to_be_bytes() } else { v.to_le_bytes() });
                } else {
                    data.extend(if be { v.to_be_bytes() } else { v.to_le_bytes() });
                }
            }
            if layout.intensity {
                data.extend(if be { p[3].to_be_bytes() } else { p[3].to_le_bytes() });
            }
            let ring = (i % 64) as u16;
            data.extend(if be { ring.to_be_bytes() } else { ring.to_le_bytes() });
            let time = i as f64 * 1e-6;
            data.extend(if be { time.to_be_bytes() } else { time.to_le_bytes() });
            data.extend(std::iter::repeat_n(0xA5, layout.point_padding as usize));
        }
        data.extend(std::iter::repeat_n(0x5A, layout.row_padding as usize));
    }
    let out = PointCloud2 {
        header: cloud.header.clone(),
        height: layout.rows,
        width,
        fields,
        is_bigendian: be,
        point_step,
        row_step,
        data,
        is_dense: nans == 0,
    };
    (out, nans)
}

#[test]
fn every_layout_gives_the_plain_layouts_output() {
    let Some(plain) = plain() else { return };
    let mut reference_node = node().unwrap();
    let reference = reference_node.on_cloud(&plain).unwrap();
    assert!(reference.summary.obstacles > 1000);
    let base = Layout {
        float64: false,
        big_endian: false,
        point_padding: 0,
        row_padding: 0,
        rows: 1,
        nan_every: 0,
        intensity: true,
    };
    let layouts = [
        ("float64", Layout { float64: true, ..base }),
        ("big endian", Layout { big_endian: true, ..base }),
        ("float64 big endian", Layout { float64: true, big_endian: true, ..base }),
        (
            "point and row padding, 2 rows",
            Layout { point_padding: 6, row_padding: 10, rows: 2, ..base },
        ),
        ("NaNs (is_dense false)", Layout { nan_every: 7, ..base }),
        (
            "everything at once",
            Layout {
                float64: true,
                big_endian: true,
                point_padding: 3,
                row_padding: 1,
                rows: 3,
                nan_every: 5,
                ..base
            },
        ),
    ];
    for (name, layout) in layouts {
        let (cloud, nans) = relayout(&plain, layout);
        let mut node = node().unwrap();
        let output = node.on_cloud(&cloud).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(output.cloud, reference.cloud, "{name}: cleaned cloud");
        assert_eq!(output.grid, reference.grid, "{name}: grid");
        assert_eq!(node.stats().get(Counter::NonFinitePoints), nans as u64, "{name}");
        assert_eq!(output.summary.non_finite, nans, "{name}");
        if layout.nan_every > 0 {
            assert!(nans > 1000, "{name}: {nans} NaN points inserted");
        }
    }

    // Without intensity the same points come out with intensity 0.
    let (cloud, _) = relayout(&plain, Layout { intensity: false, ..base });
    let output = node().unwrap().on_cloud(&cloud).unwrap();
    let xyz = |c: &PointCloud2| -> Vec<[f32; 4]> {
        PointCloudReader::new(c).unwrap().points().map(|[x, y, z, _]| [x, y, z, 0.0]).collect()
    };
    let mut expected = xyz(&reference.cloud);
    let mut got = PointCloudReader::new(&output.cloud).unwrap().points().collect::<Vec<_>>();
    // Voxel centroids average x, y, z the same way; only intensity differs.
    expected.sort_by(|a, b| a.partial_cmp(b).unwrap());
    got.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(got, expected);
}

#[test]
fn bad_clouds_are_refused_by_reason_and_later_clouds_still_flow() {
    let Some(good) = plain() else { return };
    let mut node = node().unwrap();
    let mut cases: Vec<(&str, PointCloud2, Counter, &str)> = Vec::new();

    let mut c = good.clone();
    c.data.truncate(c.data.len() - 5);
    cases.push(("truncated data", c, Counter::CloudDataLength, "275803 bytes"));

    let mut c = good.clone();
    c.row_step = c.width * c.point_step - 1;
    cases.push(("row_step too small", c, Counter::CloudRowStep, "row_step 275807"));

    let mut c = good.clone();
    c.fields[3].datatype = 13;
    cases.push(("unknown datatype", c, Counter::CloudUnknownDatatype, "'intensity'"));

    let mut c = good.clone();
    c.fields[2].offset = 14;
    cases.push(("field past point_step", c, Counter::CloudFieldOutsidePoint, "'z' (offset 14"));

    let mut c = good.clone();
    c.fields.retain(|f| f.name != "y");
    cases.push(("no y", c, Counter::CloudMissingField, "'y'"));

    let mut c = good.clone();
    c.width += 1;
    cases.push(("width larger than the data", c, Counter::CloudRowStep, "width 17239"));

    let mut expected = std::collections::BTreeMap::new();
    for (name, cloud, counter, text) in &cases {
        let e = node.on_cloud(cloud).unwrap_err();
        assert!(matches!(e, LidarError::Layout { .. }), "{name}: {e}");
        assert!(e.to_string().contains(text), "{name}: '{e}' should name {text}");
        assert!(e.to_string().contains("lidar_top"), "{name}: '{e}' names the frame");
        *expected.entry(*counter).or_insert(0u64) += 1;
        assert_eq!(node.stats().get(*counter), expected[counter], "{name}");
    }
    // The layout error of the first case, exactly.
    let e = node.on_cloud(&cases[0].1).unwrap_err();
    assert!(matches!(
        e,
        LidarError::Layout {
            source: PointCloudError::DataLength { actual: 275_803, expected: 275_808, .. },
            ..
        }
    ));
    assert!(node.on_cloud(&good).is_ok(), "a good cloud after bad ones");
    assert_eq!(node.stats().get(Counter::Outputs), 1);
    assert_eq!(node.stats().get(Counter::CloudsReceived), cases.len() as u64 + 2);
}

#[test]
fn missing_transform_is_an_error_until_tf_static_arrives() {
    let Some(cloud) = plain() else { return };
    let mut node = LidarNode::new(LidarParams::default()).unwrap();
    let e = node.on_cloud(&cloud).unwrap_err();
    assert!(matches!(e, LidarError::TransformUnavailable { .. }), "{e}");
    assert!(e.to_string().contains("'lidar_top'") && e.to_string().contains("'base_link'"), "{e}");
    assert_eq!(node.stats().get(Counter::TransformUnavailable), 1);

    // An invalid /tf_static is refused whole and counted.
    let mut bad: TFMessage = common::kitti_tf().unwrap();
    bad.transforms[0].transform.rotation.w = f64::NAN;
    assert!(matches!(node.on_tf_static(&bad), Err(LidarError::BadTfStatic(_))));
    assert_eq!(node.stats().get(Counter::BadTfStatic), 1);
    assert!(node.on_cloud(&cloud).is_err());

    node.on_tf_static(&common::kitti_tf().unwrap()).unwrap();
    let output = node.on_cloud(&cloud).unwrap();
    assert_eq!(output.cloud.header.stamp, cloud.header.stamp);
}

#[test]
fn a_cloud_outside_the_crop_box_gives_an_empty_cloud_and_an_unknown_grid() {
    let Some(cloud) = plain() else { return };
    let params = LidarParams {
        crop: edgefusion_lidar::Box3 { min: [-50.0, -50.0, 10.0], max: [50.0, 50.0, 20.0] },
        ..Default::default()
    };
    let mut node = LidarNode::new(params).unwrap();
    node.on_tf_static(&common::kitti_tf().unwrap()).unwrap();
    let output = node.on_cloud(&cloud).unwrap();
    assert_eq!(output.cloud.width, 0);
    assert!(output.grid.data.iter().all(|&c| c == -1));
    assert_eq!(node.stats().get(Counter::EmptyCloud), 1);
    assert_eq!(node.stats().get(Counter::CroppedPoints), 17_238);
}
