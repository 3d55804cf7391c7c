//! Matching detections to ground truth, and the per-class tally that AP and the 3D errors are
//! computed from.
//!
//! Matching is in the image, as KITTI's 2D benchmark: detections are taken from the highest
//! score down and each claims the unclaimed label of its own class with which its image box
//! overlaps most, if that IoU reaches the threshold (the PASCAL VOC rule). A detection without an
//! image box, or of a class no label has, is a false positive. For each matched pair the 3D boxes
//! are then compared: how far the centres are apart and how much the footprints overlap.
//!
//! KITTI's "DontCare" regions (unlabelled objects, mostly far away) are not in the ground-truth
//! topic, so a detection of such an object counts as a false positive here, where KITTI's tool
//! would ignore it: AP here is a lower bound of KITTI's on the same detections. Vans are labelled
//! `CLASS_CAR` by the conversion and so count as cars (KITTI ignores them for Car).

use super::geometry::{bev_centre_error, bev_iou, image_iou, BevBox};
use super::precision::ScoredOutcome;
use edgefusion_msgs::edgefusion::DetectedObject;
use std::collections::BTreeMap;

/// KITTI's 2D threshold for pedestrians and cyclists, applied to every class here.
pub const MIN_IMAGE_IOU: f64 = 0.5;

/// For each detection (in input order), the index of the label it matched.
pub fn greedy_match(
    detections: &[DetectedObject],
    truths: &[DetectedObject],
    min_iou: f64,
) -> Vec<Option<usize>> {
    let mut order: Vec<usize> = (0..detections.len()).collect();
    order.sort_by(|&a, &b| detections[b].score.total_cmp(&detections[a].score));
    let mut claimed = vec![false; truths.len()];
    let mut matched = vec![None; detections.len()];
    for d in order {
        let detection = &detections[d];
        if !detection.has_image_box {
            continue;
        }
        let best = truths
            .iter()
            .enumerate()
            .filter(|&(t, truth)| {
                !claimed[t]
                    && truth.has_image_box
                    && truth.classification == detection.classification
            })
            .map(|(t, truth)| (t, image_iou(&detection.image_box, &truth.image_box)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((t, _)) = best.filter(|&(_, iou)| iou >= min_iou) {
            claimed[t] = true;
            matched[d] = Some(t);
        }
    }
    matched
}

pub fn bev_box(object: &DetectedObject) -> BevBox {
    BevBox {
        x: object.center.x,
        y: object.center.y,
        length: object.size.x,
        width: object.size.y,
        yaw: object.yaw,
    }
}

/// A detection matched to a label, with how well its 3D box agrees.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MatchedPair {
    pub frame: usize,
    pub class: u8,
    /// The label's KITTI type (`Car`, `Van`, …).
    pub label: String,
    pub score: f32,
    /// Ground-plane distance of the label from the output frame's origin (the lidar) (m).
    pub range_m: f64,
    pub image_iou: f64,
    pub bev_iou: f64,
    pub bev_centre_error_m: f64,
    pub centre_error_m: f64,
    /// Lidar points supporting the detection (0: camera-only estimate).
    pub num_points: u32,
}

/// Counts of one class over all frames.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClassTally {
    pub labels: usize,
    pub matched: usize,
    pub outcomes: Vec<ScoredOutcome>,
}

/// Everything the metrics need, accumulated frame by frame.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub classes: BTreeMap<u8, ClassTally>,
    pub pairs: Vec<MatchedPair>,
    pub frames: usize,
}

impl Tally {
    /// Matches one frame's detections to its labels (same frame and time) and counts them.
    /// Labels of `CLASS_UNKNOWN` (KITTI Tram, Misc) are no class of the model and are left out.
    pub fn add_frame(&mut self, detections: &[DetectedObject], truths: &[DetectedObject]) {
        let frame = self.frames;
        self.frames += 1;
        for truth in truths.iter().filter(|t| t.classification != DetectedObject::CLASS_UNKNOWN) {
            self.classes.entry(truth.classification).or_default().labels += 1;
        }
        let matches = greedy_match(detections, truths, MIN_IMAGE_IOU);
        for (detection, matched) in detections.iter().zip(matches) {
            let class = self.classes.entry(detection.classification).or_default();
            class
                .outcomes
                .push(ScoredOutcome { score: detection.score, true_positive: matched.is_some() });
            let Some(t) = matched else { continue };
            class.matched += 1;
            let truth = &truths[t];
            let (d, g) = (&detection.center, &truth.center);
            self.pairs.push(MatchedPair {
                frame,
                class: detection.classification,
                label: truth.label.clone(),
                score: detection.score,
                range_m: g.x.hypot(g.y),
                image_iou: image_iou(&detection.image_box, &truth.image_box),
                bev_iou: bev_iou(&bev_box(detection), &bev_box(truth)),
                bev_centre_error_m: bev_centre_error(&bev_box(detection), &bev_box(truth)),
                centre_error_m: ((d.x - g.x).powi(2) + (d.y - g.y).powi(2) + (d.z - g.z).powi(2))
                    .sqrt(),
                num_points: detection.num_points,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgefusion_msgs::geometry_msgs::{Point, Vector3};

    fn object(class: u8, score: f32, image_box: [f32; 4], x: f64) -> DetectedObject {
        DetectedObject {
            classification: class,
            score,
            image_box,
            has_image_box: true,
            center: Point { x, y: 0.0, z: 0.0 },
            size: Vector3 { x: 4.0, y: 2.0, z: 1.5 },
            ..Default::default()
        }
    }

    const CAR: u8 = DetectedObject::CLASS_CAR;
    const PEDESTRIAN: u8 = DetectedObject::CLASS_PEDESTRIAN;

    #[test]
    fn the_higher_score_claims_the_label_first() {
        let truth = [object(CAR, 1.0, [0.0, 0.0, 10.0, 10.0], 10.0)];
        // The weaker detection overlaps more, but the stronger one chooses first.
        let detections = [
            object(CAR, 0.4, [0.0, 0.0, 10.0, 10.0], 10.0),
            object(CAR, 0.9, [0.0, 0.0, 10.0, 7.0], 10.0),
        ];
        assert_eq!(greedy_match(&detections, &truth, 0.5), vec![None, Some(0)]);
    }

    #[test]
    fn each_detection_takes_its_best_free_label_of_its_class() {
        let truths = [
            object(CAR, 1.0, [0.0, 0.0, 10.0, 10.0], 10.0),
            object(CAR, 1.0, [5.0, 0.0, 15.0, 10.0], 12.0),
            object(PEDESTRIAN, 1.0, [20.0, 0.0, 30.0, 10.0], 14.0),
        ];
        let detections = [
            object(CAR, 0.9, [4.0, 0.0, 14.0, 10.0], 12.0), // best: label 1 (IoU 9/11)
            object(CAR, 0.8, [1.0, 0.0, 11.0, 10.0], 10.0), // label 1 taken: label 0 (9/11)
            object(CAR, 0.7, [20.0, 0.0, 30.0, 10.0], 14.0), // a pedestrian's box: no car
            object(PEDESTRIAN, 0.6, [0.0, 0.0, 3.0, 10.0], 9.0), // IoU with nothing of its class
        ];
        assert_eq!(greedy_match(&detections, &truths, 0.5), vec![Some(1), Some(0), None, None]);
    }

    #[test]
    fn below_the_threshold_or_without_an_image_box_is_no_match() {
        let truth = [object(CAR, 1.0, [0.0, 0.0, 10.0, 10.0], 10.0)];
        // IoU 4/10 < 0.5.
        let far = object(CAR, 0.9, [0.0, 0.0, 4.0, 10.0], 10.0);
        assert_eq!(greedy_match(&[far], &truth, 0.5), vec![None]);
        let no_box = DetectedObject { has_image_box: false, ..truth[0].clone() };
        assert_eq!(greedy_match(&[no_box], &truth, 0.5), vec![None]);
    }

    #[test]
    fn the_tally_counts_labels_outcomes_and_3d_errors() {
        let mut truth = object(CAR, 1.0, [0.0, 0.0, 10.0, 10.0], 6.0);
        truth.center.y = 8.0;
        truth.label = "Car".into();
        let mut hit = object(CAR, 0.9, [0.0, 0.0, 10.0, 10.0], 6.0);
        hit.center = Point { x: 6.0, y: 9.0, z: 2.0 }; // 1 m off sideways, 2 m up
        let miss = object(CAR, 0.5, [50.0, 0.0, 60.0, 10.0], 30.0);
        let tram =
            DetectedObject { classification: DetectedObject::CLASS_UNKNOWN, ..truth.clone() };
        let mut tally = Tally::default();
        tally.add_frame(&[miss, hit], &[truth, tram]);
        let cars = &tally.classes[&CAR];
        assert_eq!((cars.labels, cars.matched, cars.outcomes.len()), (1, 1, 2));
        assert!(!tally.classes.contains_key(&DetectedObject::CLASS_UNKNOWN));
        let pair = &tally.pairs[0];
        assert_eq!((pair.frame, pair.label.as_str(), pair.range_m), (0, "Car", 10.0));
        assert_eq!(pair.bev_centre_error_m, 1.0);
        assert!((pair.centre_error_m - 5f64.sqrt()).abs() < 1e-12);
        // 4 x 2 footprints shifted 1 m across: intersection 4 x 1, union 8 + 8 - 4.
        assert!((pair.bev_iou - 1.0 / 3.0).abs() < 1e-6, "{}", pair.bev_iou);
    }
}
