//! Latency of the fusion module run from Rust through tch, per stage, on KITTI-sized input:
//! the 1242x375 image of frame 000008 and a ~120k-point cloud (the KITTI scans
//! `kitti_lidar_only/00000[0-5].bin`, camera-field-of-view crops, concatenated: about the point
//! count of one full Velodyne HDL-64 sweep, all of it in front of the camera, so the lifting
//! sees more points than with a real 360° sweep), with frame 000008's calibration. LibTorch runs
//! on 2 intra-op threads.
//!
//! Stages: `conversion` is the Rust side of a cloud (image view, cloud view, tf lookups,
//! projection, point counts) as the node does it; `conversion_gather` the same for a cloud in
//! a layout that needs the gathering copy (point_step 32: x y z, padding, intensity, ring);
//! `detect_2d`, `lift` and `forward` are the module's methods. With `--networks DIR`, also
//! `network`: the bare camera network `DIR/network_<variant>.pt` (the module's
//! `detector.network`, saved on its own by `scripts/bench/model`: the contract has no method
//! for it) on FastestDet's 1x3x352x352 reference input of 000008, to compare with onnxruntime.
//!
//! `cargo bench -p edgefusion-fusion --bench model_latency -- [--json] [--iterations N]
//!  [--variants fp32,int8,fp16] [--networks DIR]`

use edgefusion_fusion::convert::{self, Projection};
use edgefusion_fusion::{FusionModel, ModelOptions};
use edgefusion_kitti::{convert as kitti, frame::read_lidar, KittiSequence, SequenceOptions};
use edgefusion_msgs::sensor_msgs::{CameraInfo, Image, PointCloud2, PointField};
use edgefusion_tf::TransformBuffer;
use hdrhistogram::Histogram;
use std::time::Instant;

const THREADS: usize = 2;

struct Inputs {
    image: Image,
    info: CameraInfo,
    cloud: PointCloud2,
    gather_cloud: PointCloud2,
    tf: TransformBuffer,
}

struct Row {
    variant: String,
    stage: &'static str,
    p50_ms: f64,
    p99_ms: f64,
    runs: u64,
}

impl Row {
    fn new(variant: &str, stage: &'static str, h: &Histogram<u64>) -> Self {
        Self {
            variant: variant.to_string(),
            stage,
            p50_ms: h.value_at_quantile(0.5) as f64 / 1e6,
            p99_ms: h.value_at_quantile(0.99) as f64 / 1e6,
            runs: h.len(),
        }
    }
}

/// The bare network on the reference input (uint8 NHWC BGR -> float NCHW / 255, as upstream).
fn bench_network(path: &std::path::Path, n: usize) -> Result<Histogram<u64>, String> {
    let input = edgefusion_testdata::fixture("models/fastestdet/reference_000008_input_bgr352.npy")
        .ok_or("no fixtures")?;
    let first_line = |e: tch::TchError| e.to_string().lines().next().unwrap_or("").to_string();
    let bgr = tch::Tensor::read_npy(&input)
        .map_err(|e| format!("{}: {}", input.display(), first_line(e)))?;
    let x = bgr.permute([0, 3, 1, 2]).to_kind(tch::Kind::Float) / 255.0;
    let network =
        tch::CModule::load(path).map_err(|e| format!("{}: {}", path.display(), first_line(e)))?;
    let _no_grad = tch::no_grad_guard();
    let run = || network.forward_ts(&[&x]).map(drop).map_err(first_line);
    run()?;
    Ok(time(n, || run().expect("network forward")))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1));
    let iterations: usize =
        value("--iterations").map_or(50, |v| v.parse().expect("--iterations N"));
    let variants: Vec<String> = value("--variants")
        .map_or_else(|| "fp32,int8,fp16".to_string(), Clone::clone)
        .split(',')
        .map(str::to_string)
        .collect();

    let networks = value("--networks").map(std::path::PathBuf::from);
    let Some(inputs) = load_inputs() else { return };
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    for variant in &variants {
        let Some(path) = edgefusion_testdata::model(variant) else {
            skipped.push(format!("{variant}: not exported"));
            continue;
        };
        let options =
            ModelOptions { intra_op_threads: THREADS, warmup_runs: 3, ..Default::default() };
        let model = match FusionModel::load(&path, &options) {
            Ok(model) => model,
            // fp16 kernels are missing on some CPUs' LibTorch builds: report, do not fail.
            Err(e) => {
                skipped.push(format!("{variant}: {e}"));
                continue;
            }
        };
        rows.extend(bench_variant(variant, &model, &inputs, iterations));
        if let Some(dir) = &networks {
            let path = dir.join(format!("network_{variant}.pt"));
            if !path.is_file() {
                continue; // scripts/bench/model saves the networks it compares
            }
            match bench_network(&path, iterations) {
                Ok(h) => rows.push(Row::new(variant, "network", &h)),
                Err(e) => skipped.push(format!("{variant} network: {e}")),
            }
        }
    }
    let points = inputs.cloud.width * inputs.cloud.height;
    if json {
        let results: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({"variant": r.variant, "stage": r.stage, "p50_ms": r.p50_ms,
                                   "p99_ms": r.p99_ms, "runs": r.runs})
            })
            .collect();
        let doc = serde_json::json!({
            "runtime": "tch 0.24.0 (LibTorch)",
            "intra_op_threads": THREADS,
            "image": [inputs.image.height, inputs.image.width],
            "points": points,
            "iterations": iterations,
            "results": results,
            "skipped": skipped,
        });
        println!("{doc}");
        return;
    }
    println!(
        "fusion module latency through tch 0.24.0, {THREADS} intra-op threads, image {}x{} {}, \
         cloud {points} points, {iterations} runs per stage",
        inputs.image.width, inputs.image.height, inputs.image.encoding
    );
    println!("{:<8} {:<18} {:>9} {:>9}", "variant", "stage", "p50 ms", "p99 ms");
    for r in &rows {
        println!("{:<8} {:<18} {:>9.3} {:>9.3}", r.variant, r.stage, r.p50_ms, r.p99_ms);
    }
    for s in &skipped {
        println!("skipped {s}");
    }
}

fn load_inputs() -> Option<Inputs> {
    let frame_dir = edgefusion_testdata::fixture("kitti/000008")?;
    let frame = KittiSequence::open(&frame_dir, SequenceOptions::default())
        .and_then(|s| s.frame(0))
        .expect("KITTI 000008");
    let mut data = Vec::new();
    for i in 0..6 {
        let path = edgefusion_testdata::fixture(&format!("kitti_lidar_only/{i:06}.bin"))?;
        data.extend(read_lidar(&path).expect("KITTI scan"));
    }
    let stamp = frame.cloud.as_ref().expect("cloud").header.stamp;
    let cloud = kitti::point_cloud(data, stamp);
    let gather_cloud = padded_layout(&cloud);
    let mut tf = TransformBuffer::new();
    tf.add_message(frame.static_tf.as_ref().expect("tf")).expect("valid tf");
    Some(Inputs {
        image: frame.image.expect("image"),
        info: frame.camera_info.expect("camera_info"),
        cloud,
        gather_cloud,
        tf,
    })
}

/// The same points as a 32-byte layout (x y z at 0/4/8, intensity at 16, ring u16 at 20),
/// which cannot be viewed as `[N, 4]` and takes the gathering copy.
fn padded_layout(cloud: &PointCloud2) -> PointCloud2 {
    let mut data = Vec::with_capacity(cloud.data.len() * 2);
    for p in cloud.data.chunks_exact(16) {
        let mut out = [0u8; 32];
        out[..12].copy_from_slice(&p[..12]);
        out[16..20].copy_from_slice(&p[12..16]);
        data.extend_from_slice(&out);
    }
    let f32_field = |name: &str, offset| PointField::new(name, offset, PointField::FLOAT32, 1);
    PointCloud2 {
        fields: vec![
            f32_field("x", 0),
            f32_field("y", 4),
            f32_field("z", 8),
            f32_field("intensity", 16),
            PointField::new("ring", 20, PointField::UINT16, 1),
        ],
        point_step: 32,
        row_step: 32 * cloud.width,
        data,
        ..cloud.clone()
    }
}

/// The node's conversion stage for one cloud.
fn convert_inputs<'a>(
    inputs: &'a Inputs,
    cloud: &'a PointCloud2,
) -> (convert::ImageTensor<'a>, convert::CloudTensor<'a>, Projection) {
    let image = convert::image_tensor(&inputs.image, Some(&inputs.info)).expect("image");
    let points = convert::cloud_tensor(cloud).expect("cloud");
    let camera_from_lidar =
        inputs.tf.lookup(&inputs.info.header.frame_id, &cloud.header.frame_id).expect("tf");
    inputs.tf.lookup("base_link", &cloud.header.frame_id).expect("tf");
    let projection =
        convert::lidar_to_image(&inputs.info, &camera_from_lidar, &cloud.header.frame_id)
            .expect("projection");
    convert::count_points(&points, &projection);
    (image, points, projection)
}

fn bench_variant(variant: &str, model: &FusionModel, inputs: &Inputs, n: usize) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut row = |stage, h: Histogram<u64>| rows.push(Row::new(variant, stage, &h));
    row("conversion", time(n, || drop(convert_inputs(inputs, &inputs.cloud))));
    let gather = time(n, || {
        let (_, points, _) = convert_inputs(inputs, &inputs.gather_cloud);
        assert!(!points.is_zero_copy());
    });
    row("conversion_gather", gather);
    let (image, points, projection) = convert_inputs(inputs, &inputs.cloud);
    assert!(points.is_zero_copy(), "the KITTI layout is viewed in place");
    row("detect_2d", time(n, || drop(model.detect_2d(&image).expect("detect_2d"))));
    let detected = model.detect_2d(&image).expect("detect_2d");
    row("lift", time(n, || drop(model.lift(&detected, &points, &projection).expect("lift"))));
    row("forward", time(n, || drop(model.run(&image, &points, &projection).expect("forward"))));
    rows
}

/// Nanoseconds per call of `f`, over `n` calls after 3 unrecorded ones.
fn time(n: usize, mut f: impl FnMut()) -> Histogram<u64> {
    let mut h = Histogram::new_with_bounds(1, 600_000_000_000, 3).expect("valid bounds");
    for _ in 0..3 {
        f();
    }
    for _ in 0..n {
        let start = Instant::now();
        f();
        h.saturating_record(start.elapsed().as_nanos() as u64);
    }
    h
}
