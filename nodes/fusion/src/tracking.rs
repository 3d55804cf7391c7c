//! The fusion node's second stage: tracks over its per-frame detections (`edgefusion-tracker`),
//! plus the lidar clusters no detection covers, fused with the latest V2X objects, published
//! as the object list a planner uses.

use edgefusion_msgs::edgefusion::{DetectedObject, DetectedObjectArray, V2xObjectArray};
use edgefusion_tracker::{Counter, LateFusion, Tracker, TrackingParams};
use nalgebra::Isometry3;
use std::collections::BTreeMap;

/// A cluster whose centre lies this close to a detection's footprint is that object.
const COVER_MARGIN_M: f64 = 0.5;

pub struct TrackingStage {
    tracker: Tracker,
    late_fusion: LateFusion,
    v2x: Option<V2xObjectArray>,
}

/// Counters of the tracker that say an input was dropped or degraded (the others count work).
const PROBLEMS: [Counter; 9] = [
    Counter::WrongFrame,
    Counter::NonFiniteDetection,
    Counter::InvalidDetection,
    Counter::TimeWentBackwards,
    Counter::LargeGap,
    Counter::V2xWrongFrame,
    Counter::V2xNonFinite,
    Counter::V2xStale,
    Counter::V2xFutureDated,
];

impl TrackingStage {
    pub fn new(params: &TrackingParams) -> Result<Self, edgefusion_node::ParamsError> {
        let tracker = Tracker::new(params.tracker.clone())?;
        let late_fusion = LateFusion::new(params.late_fusion.clone(), &params.tracker.frame_id)?;
        Ok(Self { tracker, late_fusion, v2x: None })
    }

    /// The latest V2X objects, fused with every following frame (the late fusion drops them
    /// once they are older than its `late_fusion.v2x_max_age_s`).
    pub fn on_v2x_objects(&mut self, objects: V2xObjectArray) {
        self.v2x = Some(objects);
    }

    /// The vehicle moved between frames (see [`Tracker::move_frame`]).
    pub fn move_frame(&mut self, new_from_old: &Isometry3<f64>) {
        self.tracker.move_frame(new_from_old);
    }

    /// One frame of detections, with the lidar node's clusters of the same cloud: the
    /// confirmed tracks fused with V2X, or `None` when the frame was refused (counted and
    /// logged by the tracker or the late fusion). Clusters a detection already covers are left
    /// out; the others (outside the camera's view, or no camera) are tracked as unknown class.
    pub fn on_detections(
        &mut self,
        detections: &DetectedObjectArray,
        lidar_objects: Option<&DetectedObjectArray>,
    ) -> Option<DetectedObjectArray> {
        let merged;
        let input = match lidar_objects {
            Some(clusters) if clusters.header.frame_id == detections.header.frame_id => {
                let mut all = detections.clone();
                let uncovered =
                    clusters.objects.iter().filter(|c| !covered(c, &detections.objects));
                all.objects.extend(uncovered.cloned());
                merged = all;
                &merged
            }
            _ => detections,
        };
        let tracked = self.tracker.update(input).ok()?;
        match self.late_fusion.fuse(&tracked, self.v2x.as_ref()) {
            Ok(fused) => Some(fused),
            Err(e) => {
                tracing::warn!("late fusion: {e}");
                None
            }
        }
    }

    /// Counters of the tracker and the late fusion, as (`tracking.<name>`, count, is a problem).
    pub fn counters(&self) -> BTreeMap<String, (u64, bool)> {
        let tracker = self.tracker.stats().non_zero();
        let fusion = self.late_fusion.stats().non_zero();
        tracker
            .chain(fusion)
            .map(|(c, n)| (format!("tracking.{}", c.name()), (n, PROBLEMS.contains(&c))))
            .collect()
    }
}

/// Whether a lidar cluster is an object the camera detections already have: its centre in a
/// detection's footprint (grown by a margin), or a detection's centre in the cluster's.
fn covered(cluster: &DetectedObject, detections: &[DetectedObject]) -> bool {
    detections.iter().any(|d| inside_footprint(cluster, d) || inside_footprint(d, cluster))
}

/// Whether `point`'s BEV centre lies in `object`'s BEV footprint grown by COVER_MARGIN_M.
fn inside_footprint(point: &DetectedObject, object: &DetectedObject) -> bool {
    let (dx, dy) = (point.center.x - object.center.x, point.center.y - object.center.y);
    let (sin, cos) = object.yaw.sin_cos();
    let along = dx * cos + dy * sin;
    let across = -dx * sin + dy * cos;
    along.abs() <= object.size.x / 2.0 + COVER_MARGIN_M
        && across.abs() <= object.size.y / 2.0 + COVER_MARGIN_M
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgefusion_msgs::geometry_msgs::{Point, Vector3};

    fn object(x: f64, y: f64, yaw: f64, length: f64, width: f64) -> DetectedObject {
        DetectedObject {
            center: Point { x, y, z: 0.8 },
            size: Vector3 { x: length, y: width, z: 1.5 },
            yaw,
            ..Default::default()
        }
    }

    #[test]
    fn a_cluster_on_a_detected_car_is_covered_and_one_beside_it_is_not() {
        // A car 4.5 x 1.8 m at (20, 0) turned 90 degrees: it extends along y.
        let car = object(20.0, 0.0, std::f64::consts::FRAC_PI_2, 4.5, 1.8);
        assert!(covered(&object(20.3, 2.0, 0.0, 1.0, 1.0), std::slice::from_ref(&car)));
        assert!(!covered(&object(22.0, 0.0, 0.0, 0.5, 0.5), std::slice::from_ref(&car)));
        // A large cluster (a wall) around a small detection covers it the other way round.
        let wall = object(20.0, 0.0, 0.0, 12.0, 1.0);
        assert!(covered(&wall, &[object(24.0, 0.2, 0.0, 0.6, 0.6)]));
        assert!(!covered(&wall, &[]));
    }
}
