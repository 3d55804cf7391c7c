//! Lidar node latency per stage (cluster included) on a 120 k-point 360° cloud, p50/p99, on 1
//! and 2 threads;
//! then the same voxel grid + ground fit in numpy (benches/peer_numpy.py, run with the
//! project's `.venv` if it exists) on the same points, side by side.
//!
//! `cargo bench -p edgefusion-lidar`. The cloud: the ten KITTI fixture clouds are front-camera
//! crops (±41°, 17-20 k points), so frames 0, 1, 2, ... turned by 0°, 60°, 120°, ... are joined
//! into one 360° cloud of 120,000 real returns (tests/common/mod.rs, `full_circle`).

#[path = "../tests/common/mod.rs"]
mod common;

use edgefusion_lidar::{LidarNode, LidarParams, Stage};
use edgefusion_msgs::sensor_msgs::PointCloudReader;
use edgefusion_node::Named;
use edgefusion_node::NodeParams;
use std::io::Write;
use std::path::Path;
use std::process::Command;

const POINTS: usize = 120_000;
const WARMUP: usize = 3;
const RUNS: usize = 60;

fn main() {
    let Some(cloud) = common::full_circle(POINTS) else {
        eprintln!("SKIPPED: fixtures absent");
        return;
    };
    let Some(tf) = common::kitti_tf() else { return };
    let params_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../calib/params/lidar.yaml");
    let params = LidarParams::from_yaml_file(params_path, "lidar").expect("shipped parameters");
    println!(
        "lidar node, {POINTS} points (360°, KITTI fixture frames), calib/params/lidar.yaml, \
         {RUNS} runs after {WARMUP} warm-up"
    );
    for threads in [1, 2] {
        // The node runs its stages on its own pool of `threads` workers.
        let params = LidarParams { threads, ..params.clone() };
        let mut node = LidarNode::new(params.clone()).expect("pool starts");
        node.on_tf_static(&tf).expect("KITTI tf");
        let mut summary = None;
        for _ in 0..WARMUP {
            node.on_cloud(&cloud).expect("valid cloud");
        }
        let mut node_measured = LidarNode::new(params).expect("pool starts");
        node_measured.on_tf_static(&tf).expect("KITTI tf");
        for _ in 0..RUNS {
            summary = Some(node_measured.on_cloud(&cloud).expect("valid cloud").summary);
        }
        println!("\n{threads} thread(s)   p50 ms   p99 ms");
        for stage in Stage::ALL {
            let q = |q| node_measured.latency().quantile_ms(stage, q).unwrap_or(f64::NAN);
            println!("  {:<10} {:>7.2} {:>8.2}", stage.name(), q(0.5), q(0.99));
        }
        if let Some(s) = summary {
            println!(
                "  points: {} in, {} cropped, {} voxels, {} ground, {} non-ground",
                s.points_in,
                s.cropped + s.ego + s.non_finite,
                s.voxels,
                s.ground,
                s.obstacles
            );
            println!(
                "  clusters: {} published, dropped {} too few points, {} too many, {} too long",
                s.clusters,
                s.clusters_too_few_points,
                s.clusters_too_many_points,
                s.clusters_too_long
            );
        }
    }
    peer(&cloud, &tf, &params);
}

/// The cropped base_link points to a temporary file, then the numpy peer on them.
fn peer(
    cloud: &edgefusion_msgs::sensor_msgs::PointCloud2,
    tf: &edgefusion_msgs::tf2_msgs::TFMessage,
    params: &LidarParams,
) {
    // EDGEFUSION_PEER_PYTHON: a Python with scipy adds the clustering peer (the project's
    // .venv has numpy only).
    let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.venv/bin/python");
    let python = std::env::var("EDGEFUSION_PEER_PYTHON").unwrap_or_else(|_| venv.to_string());
    let python = python.as_str();
    if !Path::new(python).is_file() {
        println!("\nnumpy peer skipped: no {python}");
        return;
    }
    let mut buffer = edgefusion_tf::TransformBuffer::new();
    buffer.add_message(tf).expect("KITTI tf");
    let t = buffer.lookup("base_link", "lidar_top").expect("tf").cast::<f32>();
    let reader = PointCloudReader::new(cloud).expect("valid");
    let (mut points, _) = edgefusion_lidar::points::read_transformed(&reader, &t);
    edgefusion_lidar::points::crop(&mut points, &params.crop, &params.ego_box);
    let path =
        std::env::temp_dir().join(format!("edgefusion_lidar_bench_{}.f32", std::process::id()));
    let mut file = std::fs::File::create(&path).expect("temp file");
    for p in &points {
        for v in p {
            file.write_all(&v.to_le_bytes()).expect("write");
        }
    }
    drop(file);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/peer_numpy.py");
    let g = &params.ground;
    let output = Command::new(python)
        .arg(script)
        .arg(&path)
        .args(
            [
                params.voxel_size,
                params.crop.min[0],
                params.crop.min[1],
                params.crop.min[2],
                t.translation.vector.x,
                t.translation.vector.y,
            ]
            .map(|v| v.to_string()),
        )
        .args(
            [g.sector_count as f32, g.bin_length, g.max_deviation, g.max_slope_change, g.max_slope]
                .map(|v| v.to_string()),
        )
        .args([g.height_threshold, g.seed_min_range, g.seed_max_range].map(|v| v.to_string()))
        .args([params.bins_per_sector().to_string(), RUNS.min(20).to_string()])
        .args([params.cluster.tolerance, params.grid.max_obstacle_height].map(|v| v.to_string()))
        .args([params.cluster.min_points, params.cluster.max_points].map(|v| v.to_string()))
        .env("OMP_NUM_THREADS", "2")
        .output();
    let _ = std::fs::remove_file(&path);
    match output {
        Ok(o) if o.status.success() => print!("\n{}", String::from_utf8_lossy(&o.stdout)),
        Ok(o) => println!("\nnumpy peer failed: {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => println!("\nnumpy peer not run: {e}"),
    }
}
