//! Latency of the tracker and the late fusion on synthetic scenes (seeded), p50/p99.
//!
//! - `tracker_update_N`: one `Tracker::update` with N targets on a grid 8 m apart (random
//!   headings, 0..15 m/s, detections σ 0.2 m), after 10 warm-up frames (all confirmed); each
//!   sample is one 10 Hz frame.
//! - `late_fusion_200_50`: one `LateFusion::fuse` of 200 tracked objects with 50 V2X reports
//!   (30 CAMs of tracked cars, 10 CPM duplicates of those, 10 CAMs of cars out of range).
//! - `assign_dense_200`: the assignment alone on a dense 200 x 200 matrix whose every pair is
//!   gated (uniform costs 0..1, gate 2): one cluster, the worst case for the clustering.
//!   `--dump FILE` writes these matrices (one per line: n, then n² costs) for
//!   `benches/assign_peer.py`, which times scipy's `linear_sum_assignment` on them and checks
//!   that both reach the same total cost.
//!
//! `cargo bench -p edgefusion-tracker` (defaults), or with options:
//! `cargo bench -p edgefusion-tracker --bench tracker -- [--frames N] [--dump FILE]`

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::edgefusion::{DetectedObject, DetectedObjectArray, V2xObject, V2xObjectArray};
use edgefusion_msgs::geometry_msgs::{Covariance, Point, Pose, Quaternion, Vector3};
use edgefusion_msgs::std_msgs::Header;
use edgefusion_tracker::assignment::{assign, Candidate};
use edgefusion_tracker::{LateFusion, LateFusionParams, Tracker, TrackerParams};
use hdrhistogram::Histogram;
use std::io::Write;
use std::time::Instant;

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("valid bounds")
}

fn print(name: &str, h: &Histogram<u64>) {
    println!(
        "{name:<22} p50 {:>9.1} us   p99 {:>9.1} us   ({} runs)",
        h.value_at_quantile(0.5) as f64 / 1e3,
        h.value_at_quantile(0.99) as f64 / 1e3,
        h.len()
    );
}

fn targets(n: usize, noise: &mut Noise) -> Vec<Target> {
    let columns = 20;
    (0..n)
        .map(|i| {
            let heading = noise.uniform(-std::f64::consts::PI, std::f64::consts::PI);
            let speed = noise.uniform(0.0, 15.0);
            Target {
                start: [-80.0 + 8.0 * (i % columns) as f64, -40.0 + 8.0 * (i / columns) as f64],
                // Parallel lanes: a fraction of the speed across, so neighbours stay apart.
                velocity: [speed * heading.cos(), 0.1 * speed * heading.sin()],
                class: DetectedObject::CLASS_CAR,
            }
        })
        .collect()
}

fn bench_tracker(n: usize, frames: i64) -> Histogram<u64> {
    let mut noise = Noise::new(n as u64);
    let targets = targets(n, &mut noise);
    let inputs: Vec<DetectedObjectArray> =
        (0..frames + 10).map(|k| array(k, observe(&targets, k, 0.2, &mut noise))).collect();
    let mut tracker = Tracker::new(TrackerParams::default()).expect("default parameters");
    let mut h = histogram();
    for (k, input) in inputs.iter().enumerate() {
        let start = Instant::now();
        let out = tracker.update(input).expect("frame in base_link");
        let elapsed = start.elapsed();
        if k >= 10 {
            h.saturating_record(elapsed.as_nanos() as u64);
            assert!(out.objects.len() >= n * 95 / 100, "frame {k}: {} tracks", out.objects.len());
        }
    }
    h
}

fn v2x(kind: u8, station: u32, object: u32, xy: [f64; 2], sigma: f64, now: Time) -> V2xObject {
    let mut cov = [0.0; 36];
    cov[0] = sigma * sigma;
    cov[7] = sigma * sigma;
    cov[14] = 4.0;
    cov[35] = 0.05;
    V2xObject {
        message_kind: kind,
        station_id: station,
        object_id: object,
        station_type: 5,
        pose: Pose {
            position: Point { x: xy[0], y: xy[1], z: 0.8 },
            orientation: Quaternion { x: 0.0, y: 0.0, z: 0.0, w: 1.0 },
        },
        size: Vector3 { x: 4.6, y: 1.9, z: 1.5 },
        velocity: Vector3 { x: 3.0, y: 1.0, z: 0.0 },
        pose_covariance: Covariance(cov),
        velocity_covariance: [0.25, 0.0, 0.0, 0.0, 0.25, 0.0, 0.0, 0.0, 0.25],
        generation_time: now,
        age: Default::default(),
    }
}

fn bench_late_fusion(runs: i64) -> Histogram<u64> {
    let mut noise = Noise::new(42);
    let grid = |i: usize| [-80.0 + 8.0 * (i % 20) as f64, -40.0 + 8.0 * (i / 20) as f64];
    let mut fusion = LateFusion::new(LateFusionParams::default(), "base_link").expect("defaults");
    let mut h = histogram();
    for k in 0..runs {
        let objects = (0..200)
            .map(|i| {
                let [x, y] = grid(i);
                let mut o = detection(x + 3.0 * k as f64 * 0.1, y, DetectedObject::CLASS_CAR, 0.25);
                o.track_id = i as u32 + 1;
                o.velocity = Vector3 { x: 3.0, y: 0.0, z: 0.0 };
                o.velocity_covariance = [0.3, 0.0, 0.0, 0.0, 0.3, 0.0, 0.0, 0.0, 0.3];
                o
            })
            .collect();
        let local = array(k, objects);
        let now = stamp(k);
        let shift = 3.0 * k as f64 * 0.1;
        let mut jitter =
            |[x, y]: [f64; 2]| [x + shift + 0.7 * noise.normal(), y + 0.7 * noise.normal()];
        let mut reports = Vec::with_capacity(50);
        for i in 0..30 {
            reports.push(v2x(
                V2xObject::KIND_CAM,
                1000 + i as u32,
                0,
                jitter(grid(i * 6)),
                0.7,
                now,
            ));
        }
        for i in 0..10 {
            let p = jitter(grid(i * 6));
            reports.push(v2x(V2xObject::KIND_CPM_OBJECT, 2000, i as u32 + 1, p, 0.7, now));
        }
        for i in 0..10 {
            reports.push(v2x(
                V2xObject::KIND_CAM,
                3000 + i,
                0,
                [100.0 + shift, i as f64 * 8.0],
                1.0,
                now,
            ));
        }
        let v2x_array = V2xObjectArray {
            header: Header { stamp: now, frame_id: "base_link".into() },
            objects: reports,
        };
        let start = Instant::now();
        let out = fusion.fuse(&local, Some(&v2x_array)).expect("base_link");
        h.saturating_record(start.elapsed().as_nanos() as u64);
        // 210, or a few more when a report falls outside its track's gate (3σ jitter).
        assert!((210..=220).contains(&out.objects.len()), "{}", out.objects.len());
    }
    h
}

fn bench_dense_assignment(runs: usize, dump: Option<&str>) -> Histogram<u64> {
    let n = 200;
    let mut noise = Noise::new(7);
    let mut file = dump.map(|path| {
        std::io::BufWriter::new(std::fs::File::create(path).expect("--dump FILE: cannot create"))
    });
    let mut h = histogram();
    for _ in 0..runs {
        let costs: Vec<f64> = (0..n * n).map(|_| noise.uniform(0.0, 1.0)).collect();
        let candidates: Vec<Candidate> = costs
            .iter()
            .enumerate()
            .map(|(k, &cost)| Candidate { row: k / n, col: k % n, cost })
            .collect();
        let start = Instant::now();
        let pairs = assign(n, n, &candidates, 2.0);
        h.saturating_record(start.elapsed().as_nanos() as u64);
        assert_eq!(pairs.len(), n);
        let total: f64 = pairs.iter().map(|&(r, c)| costs[r * n + c]).sum();
        if let Some(f) = file.as_mut() {
            let line: Vec<String> = costs.iter().map(|c| format!("{c:.17e}")).collect();
            writeln!(f, "{n} {total:.17e} {}", line.join(" ")).expect("--dump FILE: write");
        }
    }
    h
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1));
    let frames: i64 = value("--frames").map_or(300, |v| v.parse().expect("--frames N"));
    let dump = value("--dump").map(String::as_str);
    println!("edgefusion-tracker latency (1 thread, release build)");
    print("tracker_update_50", &bench_tracker(50, frames));
    print("tracker_update_200", &bench_tracker(200, frames));
    print("late_fusion_200_50", &bench_late_fusion(frames));
    print("assign_dense_200", &bench_dense_assignment(30, dump));
}
