//! Average precision from scored detections that matching marked true or false positive.
//!
//! AP is KITTI's 40-recall-point interpolation (the benchmark's metric since 2019, "AP|R40",
//! Simonelli et al., *Disentangling Monocular 3D Object Detection*): the mean over the recall
//! levels r = 1/40, 2/40, …, 1 of the interpolated precision, the best precision reached at any
//! recall ≥ r (0 if r is never reached). Detections with equal scores form one point of the
//! curve, since no score threshold can separate them.

/// One detection after matching.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredOutcome {
    pub score: f32,
    pub true_positive: bool,
}

/// The number of recall levels of KITTI's interpolation.
pub const RECALL_POINTS: usize = 40;

/// AP|R40 of a class with `ground_truth` labels; `None` when it has none (undefined).
pub fn average_precision(outcomes: &[ScoredOutcome], ground_truth: usize) -> Option<f64> {
    if ground_truth == 0 {
        return None;
    }
    let curve = precision_recall(outcomes, ground_truth);
    let sum: f64 = (1..=RECALL_POINTS)
        .map(|i| {
            let level = i as f64 / RECALL_POINTS as f64;
            curve
                .iter()
                .filter(|&&(recall, _)| recall >= level - 1e-12)
                .map(|&(_, precision)| precision)
                .fold(0.0, f64::max)
        })
        .sum();
    Some(sum / RECALL_POINTS as f64)
}

/// (recall, precision) at each distinct score threshold, from the highest score down.
pub fn precision_recall(outcomes: &[ScoredOutcome], ground_truth: usize) -> Vec<(f64, f64)> {
    let mut sorted = outcomes.to_vec();
    sorted.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut curve = Vec::new();
    let (mut true_positives, mut taken) = (0usize, 0usize);
    for (i, outcome) in sorted.iter().enumerate() {
        taken += 1;
        true_positives += usize::from(outcome.true_positive);
        let last_of_score = sorted.get(i + 1).is_none_or(|next| next.score != outcome.score);
        if last_of_score {
            curve.push((
                true_positives as f64 / ground_truth as f64,
                true_positives as f64 / taken as f64,
            ));
        }
    }
    curve
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcomes(list: &[(f32, bool)]) -> Vec<ScoredOutcome> {
        list.iter().map(|&(score, true_positive)| ScoredOutcome { score, true_positive }).collect()
    }

    #[test]
    fn a_known_precision_recall_sequence() {
        // 3 labels; TP, FP, TP, FP by descending score. Curve: (1/3, 1), (1/3, 1/2), (2/3, 2/3),
        // (2/3, 1/2). Recall levels 1/40..13/40 interpolate to 1, 14/40..26/40 to 2/3, the
        // remaining 14 to 0: AP = (13 + 13 · 2/3) / 40 = 13/24.
        let list = outcomes(&[(0.6, false), (0.9, true), (0.7, true), (0.8, false)]);
        let ap = average_precision(&list, 3).unwrap();
        assert!((ap - 13.0 / 24.0).abs() < 1e-12, "{ap}");
    }

    #[test]
    fn a_perfect_detector_scores_one_and_a_blind_one_zero() {
        assert_eq!(average_precision(&outcomes(&[(0.5, true), (0.4, true)]), 2), Some(1.0));
        assert_eq!(average_precision(&[], 2), Some(0.0));
        assert_eq!(average_precision(&outcomes(&[(0.5, false)]), 2), Some(0.0));
        assert_eq!(average_precision(&[], 0), None);
    }

    #[test]
    fn a_false_positive_ranked_first_halves_the_precision() {
        // 1 label, FP then TP: one curve point (1, 1/2) reached at every level.
        let ap = average_precision(&outcomes(&[(0.9, false), (0.8, true)]), 1).unwrap();
        assert!((ap - 0.5).abs() < 1e-12, "{ap}");
    }

    #[test]
    fn equal_scores_are_one_threshold() {
        // Ranked TP-first the tie would look like (1, 1); as one threshold it is (1, 1/2).
        let list = outcomes(&[(0.7, true), (0.7, false)]);
        assert_eq!(precision_recall(&list, 1), vec![(1.0, 0.5)]);
    }

    #[test]
    fn half_the_labels_found_without_error() {
        // 4 labels, 2 found at precision 1: levels 1/40..20/40 get 1, the rest 0.
        let ap = average_precision(&outcomes(&[(0.9, true), (0.8, true)]), 4).unwrap();
        assert!((ap - 0.5).abs() < 1e-12, "{ap}");
    }
}
