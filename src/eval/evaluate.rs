//! Drives the fusion node over a converted bag, one model after another, and scores it.

use super::frames::{self, Frame};
use super::matching::Tally;
use super::report::{self, EvalReport, ModelReport};
use crate::eval::stats::Latency;
use anyhow::{bail, Context, Result};
use edgefusion_bag::BagReader;
use edgefusion_fusion::{FusionModel, FusionNode, FusionParams, ModelOptions};
use edgefusion_msgs::edgefusion::DetectedObject;
use edgefusion_node::NodeCore;
use std::path::PathBuf;
use std::sync::Arc;

pub struct EvalOptions {
    pub bag: PathBuf,
    pub models: Vec<PathBuf>,
    /// LibTorch intra-op threads.
    pub threads: usize,
    /// `cpu`, `cuda`, `cuda:N`.
    pub device: String,
    /// Runs of each frame's cloud through the node, for latency samples (>= 1); the first run's
    /// objects are scored.
    pub repeat: usize,
}

/// Latency should be the steady state's, but the first runs of a TorchScript module are slow
/// (the profiling executor specialises on input shapes, the allocator grows). The model's own
/// warm-up at load uses synthetic inputs of other shapes, so the bag's first frame is run this
/// many times through a throwaway node before the scored pass.
const WARMUP_FRAMES: usize = 2;

pub fn evaluate(options: &EvalOptions) -> Result<EvalReport> {
    if options.models.is_empty() {
        bail!("name at least one --model");
    }
    if options.repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    let reader = BagReader::open(&options.bag)
        .with_context(|| format!("opening bag {}", options.bag.display()))?;
    frames::check_topics(&reader)?;
    let transforms = frames::static_transforms(&reader)?;
    let output_frame = truth_frame(&reader)?;
    // All models load (and are checked) before the first is run: a bad file fails at once.
    let model_options = ModelOptions {
        device: options.device.clone(),
        intra_op_threads: options.threads,
        warmup_runs: 1,
    };
    let models = options
        .models
        .iter()
        .map(|path| FusionModel::load(path, &model_options).map(Arc::new))
        .collect::<Result<Vec<_>, _>>()?;
    let mut reports = Vec::new();
    for model in models {
        let params = FusionParams {
            model_path: Some(model.path().to_path_buf()),
            device: options.device.clone(),
            intra_op_threads: options.threads,
            // AP needs every detection the module returns, down to its own threshold.
            score_threshold: 0.0,
            // Boxes are compared where the labels are.
            output_frame: output_frame.clone(),
            ..FusionParams::default()
        };
        let new_node = || -> Result<FusionNode> {
            let mut node = FusionNode::with_model(params.clone(), Some(Arc::clone(&model)));
            for tf in &transforms {
                node.on_tf_static(tf).with_context(|| {
                    format!("{} in {}", crate::topics::TF_STATIC, options.bag.display())
                })?;
            }
            Ok(node)
        };
        if let Some(first) = frames::frames(&reader).next() {
            let (mut warm_up, first) = (new_node()?, first?);
            for _ in 0..WARMUP_FRAMES {
                run_frame(&mut warm_up, &first, 1);
            }
        }
        let mut node = new_node()?;
        let mut tally = Tally::default();
        let bar = crate::progress::bar(
            reader.summary().topic_message_count(crate::topics::LIDAR_POINTS).unwrap_or(0),
            "evaluating",
        );
        for frame in frames::frames(&reader) {
            let frame = frame?;
            let detections = run_frame(&mut node, &frame, options.repeat);
            // Frames without labels are not scored.
            if let Some(truth) = &frame.ground_truth {
                tally.add_frame(&detections, &truth.objects);
            }
            bar.inc(1);
        }
        bar.finish_and_clear();
        reports.push(model_report(&node, &model, &tally, options)?);
    }
    Ok(EvalReport {
        bag: options.bag.display().to_string(),
        frames: reports.first().map_or(0, |r| r.frames),
        ap_method: report::ap_method(),
        models: reports,
    })
}

/// The frame of the labels (all messages of the topic share it in a converted bag).
fn truth_frame(reader: &BagReader) -> Result<String> {
    let frame = frames::frames(reader)
        .filter_map(|f| f.map(|f| f.ground_truth).transpose())
        .next()
        .transpose()?
        .map(|truth| truth.header.frame_id)
        .unwrap_or_default();
    if frame.is_empty() {
        bail!(
            "bag {}: the labels on {} name no frame_id",
            reader.path().display(),
            crate::topics::GROUND_TRUTH
        );
    }
    Ok(frame)
}

/// One frame through the node's model step: camera_info, then the image with its cloud (the
/// pairing is the bag's; no waiting), `repeat` times for latency; the objects of the first run.
/// A frame the node produced nothing for (rejected input, no cloud) has no objects, so its
/// labels count as missed.
fn run_frame(node: &mut FusionNode, frame: &Frame, repeat: usize) -> Vec<DetectedObject> {
    // Rejections are counted by reason in the node's stats (and logged there).
    if let Some(info) = &frame.camera_info {
        let _ = node.on_camera_info(info, Default::default());
    }
    let Some(cloud) = &frame.cloud else { return Vec::new() };
    let image = frame.image.as_ref();
    let objects = node.detect(Some(cloud), image).map(|o| o.objects).unwrap_or_default();
    for _ in 1..repeat {
        let _ = node.detect(Some(cloud), image);
    }
    objects
}

fn model_report(
    node: &FusionNode,
    model: &FusionModel,
    tally: &Tally,
    options: &EvalOptions,
) -> Result<ModelReport> {
    let path = model.path();
    let report = node.report();
    let file_bytes =
        std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?.len();
    Ok(ModelReport {
        model: path.display().to_string(),
        file_bytes,
        info: model.info().clone(),
        device: options.device.clone(),
        threads: options.threads,
        repeat: options.repeat,
        frames: tally.frames,
        accuracy: report::accuracy(tally),
        latency: report
            .latency
            .iter()
            .map(|(stage, l)| {
                let latency =
                    Latency { p50_ms: l.p50_ms, p99_ms: l.p99_ms, samples: l.samples as usize };
                (stage.clone(), latency)
            })
            .collect(),
        errors: report.problems,
        matches: tally.pairs.clone(),
    })
}
