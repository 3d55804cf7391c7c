//! Scenario building blocks: ground-truth targets on straight lines, their noisy detections
//! (seeded, so every run sees the same noise), and messages around them.
#![allow(dead_code)]

use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::edgefusion::{DetectedObject, DetectedObjectArray};
use edgefusion_msgs::geometry_msgs::{Covariance, Point, Vector3};
use edgefusion_msgs::std_msgs::Header;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub const FRAME_NS: i64 = 100_000_000; // 10 Hz

/// Seeded noise source.
pub struct Noise(pub ChaCha8Rng);

impl Noise {
    pub fn new(seed: u64) -> Self {
        Self(ChaCha8Rng::seed_from_u64(seed))
    }

    /// Standard normal sample (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1: f64 = self.0.gen_range(f64::EPSILON..1.0);
        let u2: f64 = self.0.gen_range(0.0..1.0);
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        self.0.gen_range(lo..hi)
    }
}

/// A target moving at constant velocity.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub start: [f64; 2],
    pub velocity: [f64; 2],
    pub class: u8,
}

impl Target {
    pub fn at(&self, t: f64) -> [f64; 2] {
        [self.start[0] + self.velocity[0] * t, self.start[1] + self.velocity[1] * t]
    }
}

/// Diagonal 6x6 pose covariance: σ on x, y, z; 0.3 rad on yaw.
pub fn pose_cov(sigma: f64) -> Covariance {
    let mut c = [0.0; 36];
    for i in 0..3 {
        c[6 * i + i] = sigma * sigma;
    }
    c[21] = 0.02f64.powi(2);
    c[28] = 0.02f64.powi(2);
    c[35] = 0.09;
    Covariance(c)
}

/// A detection as the fusion node publishes it (no velocity, "unknown" velocity covariance).
pub fn detection(x: f64, y: f64, class: u8, sigma: f64) -> DetectedObject {
    DetectedObject {
        center: Point { x, y, z: 0.8 },
        size: Vector3 { x: 4.2, y: 1.8, z: 1.6 },
        yaw: 0.0,
        classification: class,
        label: String::new(),
        score: 0.9,
        velocity: Vector3::default(),
        pose_covariance: pose_cov(sigma),
        velocity_covariance: [100.0, 0.0, 0.0, 0.0, 100.0, 0.0, 0.0, 0.0, 100.0],
        track_id: 0,
        modalities: DetectedObject::MODALITY_CAMERA | DetectedObject::MODALITY_LIDAR,
        num_points: 40,
        has_image_box: false,
        image_box: [0.0; 4],
    }
}

/// Noisy detections of `targets` at frame `k` (σ `sigma` per axis).
pub fn observe(targets: &[Target], k: i64, sigma: f64, noise: &mut Noise) -> Vec<DetectedObject> {
    let t = k as f64 * FRAME_NS as f64 * 1e-9;
    targets
        .iter()
        .map(|target| {
            let [x, y] = target.at(t);
            detection(x + sigma * noise.normal(), y + sigma * noise.normal(), target.class, sigma)
        })
        .collect()
}

pub fn stamp(k: i64) -> Time {
    Time::from_nanos(1_700_000_000_000_000_000 + k * FRAME_NS)
}

pub fn array(k: i64, objects: Vec<DetectedObject>) -> DetectedObjectArray {
    DetectedObjectArray {
        header: Header { stamp: stamp(k), frame_id: "base_link".into() },
        objects,
    }
}

/// Index of the target nearest to (x, y) at frame k, if within `max` metres.
pub fn nearest_target(targets: &[Target], k: i64, x: f64, y: f64, max: f64) -> Option<usize> {
    let t = k as f64 * FRAME_NS as f64 * 1e-9;
    targets
        .iter()
        .enumerate()
        .map(|(i, target)| {
            let [tx, ty] = target.at(t);
            (i, (tx - x).hypot(ty - y))
        })
        .filter(|(_, d)| *d <= max)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// No NaN/inf anywhere in the numbers of an object.
pub fn all_finite(o: &DetectedObject) -> bool {
    let scalars = [
        o.center.x,
        o.center.y,
        o.center.z,
        o.size.x,
        o.size.y,
        o.size.z,
        o.yaw,
        o.velocity.x,
        o.velocity.y,
        o.velocity.z,
    ];
    scalars.iter().all(|v| v.is_finite())
        && o.score.is_finite()
        && o.pose_covariance.0.iter().all(|v| v.is_finite())
        && o.velocity_covariance.iter().all(|v| v.is_finite())
}
