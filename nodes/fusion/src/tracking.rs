//! The fusion node's second stage: tracks over its per-frame detections (`edgefusion-tracker`),
//! fused with the latest V2X objects, published as the object list a planner uses.

use edgefusion_msgs::edgefusion::{DetectedObjectArray, V2xObjectArray};
use edgefusion_tracker::{Counter, LateFusion, Tracker, TrackingParams};
use std::collections::BTreeMap;

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

    /// One frame of detections: the confirmed tracks fused with V2X, or `None` when the frame
    /// was refused (counted and logged by the tracker or the late fusion).
    pub fn on_detections(
        &mut self,
        detections: &DetectedObjectArray,
    ) -> Option<DetectedObjectArray> {
        let tracked = self.tracker.update(detections).ok()?;
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
