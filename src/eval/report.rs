//! The evaluation's results per model, as one JSON document or one side-by-side table.

use super::matching::{MatchedPair, Tally, MIN_IMAGE_IOU};
use super::precision::average_precision;
use super::stats::{summary, Latency, Summary};
use edgefusion_msgs::edgefusion::DetectedObject;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Everything `edgefusion eval` found.
#[derive(Debug, Serialize)]
pub struct EvalReport {
    pub bag: String,
    pub frames: usize,
    /// How AP is computed, in words, so a reader of the JSON need not guess.
    pub ap_method: String,
    pub models: Vec<ModelReport>,
}

#[derive(Debug, Serialize)]
pub struct ModelReport {
    pub model: String,
    pub file_bytes: u64,
    /// The module's own `info()` (variant, network, …).
    pub info: BTreeMap<String, String>,
    pub device: String,
    pub threads: usize,
    /// Runs per frame; latency has `frames × repeat` samples, error counters count every run.
    pub repeat: usize,
    pub frames: usize,
    #[serde(flatten)]
    pub accuracy: Accuracy,
    /// Per stage of the node (`module` = the TorchScript call), over all frames.
    pub latency: BTreeMap<String, Latency>,
    /// Frames the node could not process, by reason.
    pub errors: BTreeMap<String, u64>,
    pub matches: Vec<MatchedPair>,
}

#[derive(Debug, Serialize)]
pub struct ClassReport {
    pub class: u8,
    pub name: &'static str,
    pub labels: usize,
    pub detections: usize,
    pub matched: usize,
    /// 2D AP|R40 at IoU ≥ 0.5; null for a class without labels.
    pub ap_2d: Option<f64>,
}

pub fn ap_method() -> String {
    format!(
        "2D AP|R40 (KITTI's 40 recall points) per class at image-box IoU >= {MIN_IMAGE_IOU}, \
         greedy score-ordered matching within a class; no difficulty filter; DontCare regions \
         are not in the labels, so detections there count as false positives"
    )
}

pub fn class_name(class: u8) -> &'static str {
    match class {
        DetectedObject::CLASS_CAR => "Car",
        DetectedObject::CLASS_TRUCK => "Truck",
        DetectedObject::CLASS_BUS => "Bus",
        DetectedObject::CLASS_PEDESTRIAN => "Pedestrian",
        DetectedObject::CLASS_CYCLIST => "Cyclist",
        DetectedObject::CLASS_MOTORCYCLE => "Motorcycle",
        _ => "Unknown",
    }
}

/// The accuracy part of a model's report, from its tally.
#[derive(Debug, Serialize)]
pub struct Accuracy {
    /// Every class that has labels or detections, by `DetectedObject::CLASS_*`.
    pub classes: Vec<ClassReport>,
    /// Over the classes that have labels.
    pub labels: usize,
    pub matched: usize,
    pub bev_centre_error_m: Option<Summary>,
    pub centre_error_m: Option<Summary>,
    pub bev_iou_mean: Option<f64>,
}

pub fn accuracy(tally: &Tally) -> Accuracy {
    let classes: Vec<ClassReport> = tally
        .classes
        .iter()
        .map(|(&class, t)| ClassReport {
            class,
            name: class_name(class),
            labels: t.labels,
            detections: t.outcomes.len(),
            matched: t.matched,
            ap_2d: average_precision(&t.outcomes, t.labels),
        })
        .collect();
    let labelled = classes.iter().filter(|c| c.labels > 0);
    let column = |f: fn(&MatchedPair) -> f64| tally.pairs.iter().map(f).collect::<Vec<f64>>();
    Accuracy {
        labels: labelled.clone().map(|c| c.labels).sum(),
        matched: labelled.map(|c| c.matched).sum(),
        bev_centre_error_m: summary(&column(|p| p.bev_centre_error_m)),
        centre_error_m: summary(&column(|p| p.centre_error_m)),
        bev_iou_mean: summary(&column(|p| p.bev_iou)).map(|s| s.mean),
        classes,
    }
}

/// One table, a column per model.
pub fn render(report: &EvalReport) -> String {
    let models = &report.models;
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    let mut row = |name: &str, cell: &dyn Fn(&ModelReport) -> String| {
        rows.push((name.to_string(), models.iter().map(cell).collect()));
    };
    row("model", &|m| file_name(&m.model));
    row("variant", &|m| m.info.get("variant").cloned().unwrap_or_else(|| "-".into()));
    row("file size", &|m| file_size(m.file_bytes));
    let labelled: Vec<u8> = {
        let mut classes: Vec<u8> = models
            .iter()
            .flat_map(|m| m.accuracy.classes.iter().filter(|c| c.labels > 0).map(|c| c.class))
            .collect();
        classes.sort_unstable();
        classes.dedup();
        classes
    };
    for class in labelled {
        row(&format!("AP2D@0.5 {}", class_name(class)), &|m| {
            class_of(m, class).and_then(|c| c.ap_2d).map_or("-".into(), |ap| format!("{ap:.3}"))
        });
        row(&format!("matched {}", class_name(class)), &|m| {
            class_of(m, class).map_or("-".into(), |c| {
                format!("{}/{} ({} det)", c.matched, c.labels, c.detections)
            })
        });
    }
    row("BEV centre error mean (m)", &|m| opt(m.accuracy.bev_centre_error_m.map(|s| s.mean)));
    row("BEV centre error median (m)", &|m| opt(m.accuracy.bev_centre_error_m.map(|s| s.median)));
    row("BEV centre error max (m)", &|m| opt(m.accuracy.bev_centre_error_m.map(|s| s.max)));
    row("BEV IoU mean", &|m| opt(m.accuracy.bev_iou_mean));
    let mut stages: Vec<&String> = models.iter().flat_map(|m| m.latency.keys()).collect();
    stages.sort();
    stages.dedup();
    for stage in stages {
        let threads = models.first().map_or(0, |m| m.threads);
        row(&format!("{stage} p50/p99 (ms, {threads} thr)"), &|m| {
            m.latency
                .get(stage)
                .map_or("-".into(), |l| format!("{:.1} / {:.1}", l.p50_ms, l.p99_ms))
        });
    }
    row("frames with errors", &|m| m.errors.values().sum::<u64>().to_string());

    let name_width = rows.iter().map(|(n, _)| n.chars().count()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..models.len())
        .map(|i| rows.iter().map(|(_, cells)| cells[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = format!("{}: {} frames\n{}\n\n", report.bag, report.frames, report.ap_method);
    for (name, cells) in &rows {
        let _ = write!(out, "{name:<name_width$}");
        for (cell, width) in cells.iter().zip(&widths) {
            let _ = write!(out, "  {cell:>width$}");
        }
        out.push('\n');
    }
    for model in models {
        for (reason, count) in &model.errors {
            let _ = writeln!(out, "{}: {count} frames failed: {reason}", file_name(&model.model));
        }
    }
    out
}

fn class_of(model: &ModelReport, class: u8) -> Option<&ClassReport> {
    model.accuracy.classes.iter().find(|c| c.class == class)
}

fn file_size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.1} KiB", bytes as f64 / 1024.0),
        _ => format!("{:.2} MiB", bytes as f64 / 1_048_576.0),
    }
}

fn opt(value: Option<f64>) -> String {
    value.map_or("-".into(), |v| format!("{v:.3}"))
}

fn file_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::precision::ScoredOutcome;
    use crate::eval::stats::Latency;

    #[test]
    fn accuracy_counts_only_labelled_classes_in_the_totals() {
        let mut tally = Tally::default();
        let car = tally.classes.entry(DetectedObject::CLASS_CAR).or_default();
        car.labels = 2;
        car.matched = 1;
        car.outcomes = vec![ScoredOutcome { score: 0.9, true_positive: true }];
        // A truck detection with no truck in the labels: its own class, no AP, not in totals.
        tally.classes.entry(DetectedObject::CLASS_TRUCK).or_default().outcomes =
            vec![ScoredOutcome { score: 0.8, true_positive: false }];
        let accuracy = accuracy(&tally);
        assert_eq!((accuracy.labels, accuracy.matched), (2, 1));
        assert_eq!(accuracy.classes[0].ap_2d, Some(0.5));
        assert_eq!((accuracy.classes[1].name, accuracy.classes[1].ap_2d), ("Truck", None));
        assert_eq!(accuracy.bev_iou_mean, None);
    }

    fn model(name: &str, variant: &str, ap: f64, matched: usize) -> ModelReport {
        ModelReport {
            model: format!("/models/{name}"),
            file_bytes: 3 * 1_048_576,
            info: [("variant".to_string(), variant.to_string())].into(),
            device: "cpu".into(),
            threads: 2,
            repeat: 1,
            frames: 1,
            accuracy: Accuracy {
                classes: vec![ClassReport {
                    class: DetectedObject::CLASS_CAR,
                    name: "Car",
                    labels: 6,
                    detections: 7,
                    matched,
                    ap_2d: Some(ap),
                }],
                labels: 6,
                matched,
                bev_centre_error_m: Some(Summary { mean: 0.5, median: 0.25, max: 1.25 }),
                centre_error_m: None,
                bev_iou_mean: Some(0.625),
            },
            latency: [(
                "detect_2d".to_string(),
                Latency { p50_ms: 20.0, p99_ms: 31.5, samples: 1 },
            )]
            .into(),
            errors: BTreeMap::new(),
            matches: Vec::new(),
        }
    }

    #[test]
    fn the_table_puts_models_side_by_side() {
        let report = EvalReport {
            bag: "bag".into(),
            frames: 1,
            ap_method: ap_method(),
            models: vec![model("a.pt", "fp32", 0.875, 6), model("b.pt", "int8", 0.75, 5)],
        };
        let table = render(&report);
        // A row's cells: the columns are separated by at least two spaces.
        let cells = |name: &str| -> Vec<String> {
            let line = table.lines().find(|l| l.starts_with(name)).unwrap();
            line.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .skip(1)
                .map(String::from)
                .collect()
        };
        assert_eq!(cells("model"), ["a.pt", "b.pt"], "{table}");
        assert_eq!(cells("variant"), ["fp32", "int8"]);
        assert_eq!(cells("file size"), ["3.00 MiB", "3.00 MiB"]);
        assert_eq!(cells("AP2D@0.5 Car"), ["0.875", "0.750"]);
        assert_eq!(cells("matched Car"), ["6/6 (7 det)", "5/6 (7 det)"]);
        assert_eq!(cells("BEV centre error median (m)"), ["0.250", "0.250"]);
        assert_eq!(cells("detect_2d p50/p99 (ms, 2 thr)"), ["20.0 / 31.5", "20.0 / 31.5"]);
    }
}
