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
//! `detect_2d`, `lift` and `forward` are the module's methods; `lift_scan` is `lift` on frame
//! 000008's own scan (17 k points: what one real sweep puts in the camera's field of view, so
//! the typical case where `lift` is the worst). With `--networks DIR`, also
//! `network`: the bare camera network `DIR/network_<variant>.pt` (the module's
//! `detector.network`, saved on its own by `scripts/bench/model`: the contract has no method
//! for it) on FastestDet's 1x3x352x352 reference input of 000008, to compare with onnxruntime.
//!
//! Every case of every variant runs in turn, in 10 rounds of ITERATIONS/10 recorded calls, and
//! the int8 speed-up is the median over rounds of fp32 p50 / int8 p50 within a round.
//!
//! `cargo bench -p edgefusion-fusion --bench model_latency -- [--json] [--iterations N]
//!  [--variants fp32,int8,fp16] [--networks DIR]`

use edgefusion_fusion::convert::{self, Projection};
use edgefusion_fusion::model::Detections2d;
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
    /// Frame 000008's own scan: what one real sweep puts in the camera's field of view.
    scan: PointCloud2,
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
struct Network {
    module: tch::CModule,
    input: tch::Tensor,
}

impl Network {
    fn load(path: &std::path::Path) -> Result<Self, String> {
        let input =
            edgefusion_testdata::fixture("models/fastestdet/reference_000008_input_bgr352.npy")
                .ok_or("no fixtures")?;
        let first_line = |e: tch::TchError| e.to_string().lines().next().unwrap_or("").to_string();
        let bgr = tch::Tensor::read_npy(&input)
            .map_err(|e| format!("{}: {}", input.display(), first_line(e)))?;
        let module = tch::CModule::load(path)
            .map_err(|e| format!("{}: {}", path.display(), first_line(e)))?;
        let network =
            Self { module, input: bgr.permute([0, 3, 1, 2]).to_kind(tch::Kind::Float) / 255.0 };
        network.run().map_err(first_line)?;
        Ok(network)
    }

    fn run(&self) -> Result<(), tch::TchError> {
        self.module.forward_ts(&[&self.input]).map(drop)
    }
}

/// One measured case: a stage of one variant.
struct Case<'a> {
    variant: String,
    stage: &'static str,
    run: Box<dyn FnMut() + 'a>,
    all: Histogram<u64>,
    round_p50_ns: Vec<u64>,
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
    let mut skipped = Vec::new();
    let mut loaded = Vec::new();
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
        // scripts/bench/model saves the networks it compares.
        let network_path = networks.as_ref().map(|dir| dir.join(format!("network_{variant}.pt")));
        let network = match network_path.filter(|p| p.is_file()).map(|p| Network::load(&p)) {
            Some(Ok(network)) => Some(network),
            Some(Err(e)) => {
                skipped.push(format!("{variant} network: {e}"));
                None
            }
            None => None,
        };
        loaded.push((variant.clone(), model, network));
    }
    let _no_grad = tch::no_grad_guard();
    let prepared: Vec<Prepared> =
        loaded.iter().map(|(_, model, _)| Prepared::new(model, &inputs)).collect();
    let mut cases = Vec::new();
    for ((variant, model, network), p) in loaded.iter().zip(&prepared) {
        cases.extend(variant_cases(variant, model, &inputs, p));
        if let Some(network) = network {
            let run = Box::new(move || network.run().expect("network forward"));
            cases.push(case(variant, "network", run));
        }
    }
    // Interleaved rounds: this VM's speed drifts by tens of percent over minutes, and a
    // variant measured alone would carry whatever drift its minutes had.
    let per_round = iterations.div_ceil(ROUNDS).max(1);
    for _ in 0..ROUNDS {
        for case in &mut cases {
            let h = time(per_round, &mut case.run);
            case.round_p50_ns.push(h.value_at_quantile(0.5));
            case.all.add(&h).expect("same bounds");
        }
    }
    let speedups = speedups(&cases);
    let rows: Vec<Row> = cases.iter().map(|c| Row::new(&c.variant, c.stage, &c.all)).collect();
    let points = inputs.cloud.width * inputs.cloud.height;
    if json {
        let results: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({"variant": r.variant, "stage": r.stage, "p50_ms": r.p50_ms,
                                   "p99_ms": r.p99_ms, "runs": r.runs})
            })
            .collect();
        let speedups: Vec<serde_json::Value> = speedups
            .iter()
            .map(|s| {
                serde_json::json!({"stage": s.stage, "median": s.median, "min": s.min,
                                   "max": s.max, "rounds": ROUNDS})
            })
            .collect();
        let doc = serde_json::json!({
            "runtime": "tch 0.24.0 (LibTorch)",
            "intra_op_threads": THREADS,
            "image": [inputs.image.height, inputs.image.width],
            "points": points,
            "iterations": per_round * ROUNDS,
            "rounds": ROUNDS,
            "results": results,
            "int8_speedup_over_fp32": speedups,
            "skipped": skipped,
        });
        println!("{doc}");
        return;
    }
    println!(
        "fusion module latency through tch 0.24.0, {THREADS} intra-op threads, image {}x{} {}, \
         cloud {points} points, {} runs per stage in {ROUNDS} interleaved rounds",
        inputs.image.width,
        inputs.image.height,
        inputs.image.encoding,
        per_round * ROUNDS
    );
    println!("{:<8} {:<18} {:>9} {:>9}", "variant", "stage", "p50 ms", "p99 ms");
    for r in &rows {
        println!("{:<8} {:<18} {:>9.3} {:>9.3}", r.variant, r.stage, r.p50_ms, r.p99_ms);
    }
    for s in &speedups {
        println!(
            "int8 speed-up over fp32, {}: {:.2}x (median of {ROUNDS} rounds' p50 ratios; \
             {:.2}..{:.2})",
            s.stage, s.median, s.min, s.max
        );
    }
    for s in &skipped {
        println!("skipped {s}");
    }
}

const ROUNDS: usize = 10;

struct Speedup {
    stage: &'static str,
    median: f64,
    min: f64,
    max: f64,
}

/// fp32 p50 / int8 p50 of each round, for each stage both variants ran.
fn speedups(cases: &[Case]) -> Vec<Speedup> {
    let find = |variant: &str, stage: &str| {
        cases.iter().find(|c| c.variant == variant && c.stage == stage)
    };
    let mut out = Vec::new();
    for stage in ["network", "detect_2d", "forward"] {
        let (Some(fp32), Some(int8)) = (find("fp32", stage), find("int8", stage)) else {
            continue;
        };
        let mut ratios: Vec<f64> = fp32
            .round_p50_ns
            .iter()
            .zip(&int8.round_p50_ns)
            .map(|(&f, &i)| f as f64 / i as f64)
            .collect();
        ratios.sort_by(f64::total_cmp);
        out.push(Speedup {
            stage,
            median: ratios[ratios.len() / 2],
            min: ratios[0],
            max: ratios[ratios.len() - 1],
        });
    }
    out
}

fn case<'a>(variant: &str, stage: &'static str, run: Box<dyn FnMut() + 'a>) -> Case<'a> {
    Case {
        variant: variant.to_string(),
        stage,
        run,
        all: Histogram::new_with_bounds(1, 600_000_000_000, 3).expect("valid bounds"),
        round_p50_ns: Vec::new(),
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
    let scan = frame.cloud.expect("cloud");
    let cloud = kitti::point_cloud(data, scan.header.stamp);
    let gather_cloud = padded_layout(&cloud);
    let mut tf = TransformBuffer::new();
    tf.add_message(frame.static_tf.as_ref().expect("tf")).expect("valid tf");
    Some(Inputs {
        image: frame.image.expect("image"),
        info: frame.camera_info.expect("camera_info"),
        cloud,
        gather_cloud,
        scan,
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

/// A variant's module inputs, converted once, and its detections to lift.
struct Prepared<'a> {
    image: convert::ImageTensor<'a>,
    points: convert::CloudTensor<'a>,
    scan: convert::CloudTensor<'a>,
    projection: Projection,
    detected: Detections2d,
}

impl<'a> Prepared<'a> {
    fn new(model: &FusionModel, inputs: &'a Inputs) -> Self {
        let (image, points, projection) = convert_inputs(inputs, &inputs.cloud);
        assert!(points.is_zero_copy(), "the KITTI layout is viewed in place");
        let scan = convert::cloud_tensor(&inputs.scan).expect("scan");
        let detected = model.detect_2d(&image).expect("detect_2d");
        Self { image, points, scan, projection, detected }
    }
}

fn variant_cases<'a>(
    variant: &str,
    model: &'a FusionModel,
    inputs: &'a Inputs,
    p: &'a Prepared<'a>,
) -> Vec<Case<'a>> {
    let gather = || {
        let (_, points, _) = convert_inputs(inputs, &inputs.gather_cloud);
        assert!(!points.is_zero_copy());
    };
    let detect_2d = || drop(model.detect_2d(&p.image).expect("detect_2d"));
    let lift = || drop(model.lift(&p.detected, &p.points, &p.projection).expect("lift"));
    let lift_scan = || drop(model.lift(&p.detected, &p.scan, &p.projection).expect("lift"));
    let forward = || drop(model.run(&p.image, &p.points, &p.projection).expect("forward"));
    vec![
        case(variant, "conversion", Box::new(|| drop(convert_inputs(inputs, &inputs.cloud)))),
        case(variant, "conversion_gather", Box::new(gather)),
        case(variant, "detect_2d", Box::new(detect_2d)),
        case(variant, "lift", Box::new(lift)),
        case(variant, "lift_scan", Box::new(lift_scan)),
        case(variant, "forward", Box::new(forward)),
    ]
}

/// Nanoseconds per call of `f`, over `n` calls after 3 unrecorded ones.
fn time(n: usize, f: &mut dyn FnMut()) -> Histogram<u64> {
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
