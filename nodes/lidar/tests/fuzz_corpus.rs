//! Replays the kept fuzzing corpus (nodes/lidar/fuzz/corpus/point_cloud_cdr) on stable Rust
//! through the same check the fuzz target runs, and holds the generator of its seeds.
//! The seeds are made here from synthetic points (never fixture bytes):
//! `cargo test --release -p edgefusion-lidar --test fuzz_corpus -- --ignored` rewrites them.

use edgefusion_lidar::fuzz_check::{check_cdr_cloud, check_cloud, fuzz_node, FUZZ_FRAME};
use edgefusion_msgs::sensor_msgs::{PointCloud2, PointField};
use edgefusion_msgs::std_msgs::Header;
use edgefusion_msgs::Message;
use std::path::PathBuf;

fn corpus_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/point_cloud_cdr"))
}

#[test]
fn kept_corpus_replays_without_a_broken_invariant() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("the corpus is kept in the repository")
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 20, "corpus has {} files", files.len());
    let mut node = fuzz_node();
    let mut decoded = 0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        decoded += usize::from(PointCloud2::decode(&bytes).is_ok());
        check_cdr_cloud(&mut node, &bytes);
    }
    let outputs = node.stats().get(edgefusion_lidar::Counter::Outputs);
    eprintln!("{} corpus files, {decoded} decode, {outputs} give an output", files.len());
    assert!(outputs >= 10, "the corpus reaches the whole pipeline ({outputs})");
}

/// A scene of `n` points: a road plane 1.7 m below the sensor and a box-shaped object.
fn scene(n: usize) -> Vec<[f64; 4]> {
    (0..n)
        .map(|i| {
            let a = (i as f64 * 0.37).sin() * 1.2;
            let r = 3.0 + (i % 40) as f64 * 0.5;
            let (x, y) = (r * a.cos(), r * a.sin());
            let object = (8.0..10.0).contains(&x) && y.abs() < 1.0;
            let z = if object { -1.2 + (i % 7) as f64 * 0.2 } else { -1.7 };
            [x, y, z, (i % 100) as f64]
        })
        .collect()
}

struct Layout {
    datatype: u8,
    big_endian: bool,
    padding: u32,
    rows: u32,
    nan_every: usize,
}

fn encode(points: &[[f64; 4]], layout: &Layout) -> PointCloud2 {
    let size = match layout.datatype {
        PointField::FLOAT64 => 8,
        PointField::INT16 | PointField::UINT16 => 2,
        PointField::INT8 | PointField::UINT8 => 1,
        _ => 4,
    };
    let fields: Vec<PointField> = ["x", "y", "z", "intensity"]
        .iter()
        .enumerate()
        .map(|(i, n)| PointField::new(n, i as u32 * size, layout.datatype, 1))
        .collect();
    let point_step = 4 * size + layout.padding;
    let width = points.len() as u32 / layout.rows;
    let mut data = Vec::new();
    for (i, p) in points.iter().take((width * layout.rows) as usize).enumerate() {
        for v in p {
            let v = if layout.nan_every > 0 && i % layout.nan_every == 0 { f64::NAN } else { *v };
            let bytes: Vec<u8> = match layout.datatype {
                PointField::FLOAT64 => v.to_le_bytes().to_vec(),
                PointField::FLOAT32 => (v as f32).to_le_bytes().to_vec(),
                PointField::INT16 => ((v * 100.0) as i16).to_le_bytes().to_vec(),
                PointField::UINT16 => ((v * 100.0) as u16).to_le_bytes().to_vec(),
                PointField::INT32 => ((v * 1000.0) as i32).to_le_bytes().to_vec(),
                PointField::UINT32 => ((v * 1000.0) as u32).to_le_bytes().to_vec(),
                PointField::INT8 => vec![v as i8 as u8],
                _ => vec![v as u8],
            };
            if layout.big_endian {
                data.extend(bytes.iter().rev());
            } else {
                data.extend(bytes);
            }
        }
        data.extend(std::iter::repeat_n(0u8, layout.padding as usize));
    }
    PointCloud2 {
        header: Header::new(Default::default(), FUZZ_FRAME),
        height: layout.rows,
        width,
        fields,
        is_bigendian: layout.big_endian,
        point_step,
        row_step: width * point_step,
        data,
        is_dense: layout.nan_every == 0,
    }
}

/// Valid clouds in many layouts and, from them, broken ones (each kind of layout error, cut
/// CDR). Every seed also passes the check here.
#[test]
#[ignore = "writes the seed corpus; run by hand"]
fn write_seed_corpus() {
    let dir = corpus_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let mut seeds: Vec<(String, Vec<u8>)> = Vec::new();
    let mut valid = Vec::new();
    for (k, datatype) in (1u8..=8).enumerate() {
        for (big_endian, padding, rows, nan_every) in
            [(false, 0, 1, 0), (true, 3, 2, 0), (false, 5, 4, 9), (true, 0, 1, 4)]
        {
            let layout = Layout { datatype, big_endian, padding, rows, nan_every };
            let cloud = encode(&scene(60 + 50 * k), &layout);
            let name = format!(
                "valid_dt{datatype}_be{}_pad{padding}_rows{rows}_nan{nan_every}",
                u8::from(big_endian)
            );
            valid.push((name, cloud));
        }
    }
    let plain = encode(
        &scene(400),
        &Layout { datatype: 7, big_endian: false, padding: 0, rows: 1, nan_every: 0 },
    );
    valid.push(("valid_f32_400".into(), plain.clone()));
    let mut broken = Vec::new();
    let mut c = plain.clone();
    c.data.truncate(c.data.len() - 3);
    broken.push(("bad_truncated_data", c));
    let mut c = plain.clone();
    c.row_step -= 1;
    broken.push(("bad_row_step", c));
    let mut c = plain.clone();
    c.fields[1].datatype = 0;
    broken.push(("bad_datatype", c));
    let mut c = plain.clone();
    c.fields[2].offset = 200;
    broken.push(("bad_field_offset", c));
    let mut c = plain.clone();
    c.fields[0].count = 0;
    broken.push(("bad_field_count", c));
    let mut c = plain.clone();
    c.fields.truncate(2);
    broken.push(("bad_no_z", c));
    let mut c = plain.clone();
    c.height = 0;
    c.data.clear();
    broken.push(("empty_height_0", c));

    let mut node = fuzz_node();
    for (name, cloud) in valid
        .iter()
        .chain(broken.iter().map(|(n, c)| (n.to_string(), c.clone())).collect::<Vec<_>>().iter())
    {
        check_cloud(&mut node, cloud);
        seeds.push((name.clone(), cloud.encode().unwrap()));
    }
    let whole = plain.encode().unwrap();
    seeds.push(("bad_cdr_cut".into(), whole[..whole.len() / 2].to_vec()));
    seeds.push(("bad_cdr_header_only".into(), whole[..40].to_vec()));
    for (name, bytes) in &seeds {
        check_cdr_cloud(&mut node, bytes);
        std::fs::write(dir.join(format!("seed_{name}")), bytes).unwrap();
    }
    eprintln!("{} seeds written to {}", seeds.len(), dir.display());
}
