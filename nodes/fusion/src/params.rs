//! The node's parameters, from a ROS 2 parameters file (the same file serves both transports):
//!
//! ```yaml
//! fusion:                 # the node's name; `/fusion` and the wildcard `/**` work too
//!   ros__parameters:
//!     model_path: target/models/fusion_fp32.pt
//!     device: cpu         # cpu | cuda | cuda:N
//!     intra_op_threads: 2
//!     score_threshold: 0.5
//!     output_frame: base_link
//!     max_image_age_ms: 100.0
//!     warmup_runs: 1
//! ```
//! Entries under `/**` apply first, the node's own override them (as ROS 2 does). Unknown names
//! are logged and ignored (the file may hold other nodes' parameters under `/**`).

use crate::model::ModelOptions;
use serde_yaml_ng::Value;
use std::path::{Path, PathBuf};

/// Typed parameters of the fusion node.
#[derive(Debug, Clone, PartialEq)]
pub struct FusionParams {
    /// TorchScript module (`edgefusion.fusion.v1`). None, or a file that does not exist: the
    /// node runs without the camera network and publishes empty arrays. Relative paths are
    /// relative to the working directory, as in ROS 2.
    pub model_path: Option<PathBuf>,
    /// `cpu`, `cuda` or `cuda:N`.
    pub device: String,
    /// LibTorch intra-op threads (>= 1).
    pub intra_op_threads: usize,
    /// Detections below this score (0..1) are not published.
    pub score_threshold: f32,
    /// Frame of the published objects.
    pub output_frame: String,
    /// The newest image is paired with a cloud only if their stamps differ by at most this.
    pub max_image_age_ms: f64,
    /// Model runs on synthetic inputs at start-up (at least one always validates the module).
    pub warmup_runs: usize,
}

impl Default for FusionParams {
    fn default() -> Self {
        Self {
            model_path: None,
            device: "cpu".to_string(),
            intra_op_threads: 2,
            score_threshold: 0.5,
            output_frame: "base_link".to_string(),
            max_image_age_ms: 100.0,
            warmup_runs: 1,
        }
    }
}

/// A parameters file that cannot be used; each names the file and the parameter.
#[derive(Debug, thiserror::Error)]
pub enum ParamsError {
    #[error("parameters file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("parameters file {origin}: not valid YAML: {message}")]
    Yaml { origin: String, message: String },
    #[error("parameters file {origin}: {message}")]
    Structure { origin: String, message: String },
    #[error("parameters {origin}: '{name}' must be {expected}, got {found}")]
    WrongType { origin: String, name: String, expected: &'static str, found: String },
    #[error("parameters {origin}: '{name}' = {value} is out of range ({allowed})")]
    OutOfRange { origin: String, name: String, value: String, allowed: &'static str },
}

impl FusionParams {
    /// Reads the `ros__parameters` of `node_name` (and `/**`) from a YAML file.
    pub fn from_yaml_file(path: impl AsRef<Path>, node_name: &str) -> Result<Self, ParamsError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| ParamsError::Io { path: path.to_path_buf(), source })?;
        Self::from_yaml_str(&text, node_name, &path.display().to_string())
    }

    /// As [`Self::from_yaml_file`]; `origin` names the text in errors.
    pub fn from_yaml_str(text: &str, node_name: &str, origin: &str) -> Result<Self, ParamsError> {
        let doc: Value = serde_yaml_ng::from_str(text)
            .map_err(|e| ParamsError::Yaml { origin: origin.into(), message: e.to_string() })?;
        let structure = |message: String| ParamsError::Structure { origin: origin.into(), message };
        let mut params = Self::default();
        let top = match &doc {
            Value::Mapping(m) => m,
            Value::Null => return Ok(params), // an empty file
            _ => return Err(structure("top level is not a mapping of node names".into())),
        };
        let node_keys = ["/**".to_string(), node_name.to_string(), format!("/{node_name}")];
        let mut found = false;
        for key in &node_keys {
            let Some(section) = top.get(key.as_str()) else { continue };
            found = true;
            let entries = match section.get("ros__parameters") {
                Some(Value::Mapping(m)) => m,
                Some(Value::Null) => continue,
                Some(_) => {
                    return Err(structure(format!("'{key}.ros__parameters' is not a mapping")))
                }
                None => return Err(structure(format!("'{key}' has no ros__parameters"))),
            };
            for (name, value) in entries {
                let Some(name) = name.as_str() else {
                    return Err(structure(format!("parameter name {name:?} is not a string")));
                };
                params.set(name, value, origin, key != "/**")?;
            }
        }
        if !found {
            tracing::warn!(
                "{origin}: no parameters for node '{node_name}' (nor '/**'); using defaults"
            );
        }
        params.validate(origin)?;
        Ok(params)
    }

    fn set(
        &mut self,
        name: &str,
        value: &Value,
        origin: &str,
        own: bool,
    ) -> Result<(), ParamsError> {
        let wrong = |expected: &'static str| ParamsError::WrongType {
            origin: origin.into(),
            name: name.into(),
            expected,
            found: describe(value),
        };
        let string = || value.as_str().map(str::to_string).ok_or_else(|| wrong("a string"));
        let count = || {
            value.as_i64().filter(|n| *n >= 0).map(|n| n as usize).ok_or_else(|| {
                if value.as_i64().is_some() {
                    ParamsError::OutOfRange {
                        origin: origin.into(),
                        name: name.into(),
                        value: describe(value),
                        allowed: ">= 0",
                    }
                } else {
                    wrong("an integer")
                }
            })
        };
        let number = || value.as_f64().ok_or_else(|| wrong("a number"));
        match name {
            "model_path" => {
                self.model_path = match value {
                    Value::Null => None,
                    _ => Some(string()?).filter(|s| !s.is_empty()).map(PathBuf::from),
                }
            }
            "device" => self.device = string()?,
            "intra_op_threads" => self.intra_op_threads = count()?,
            "score_threshold" => self.score_threshold = number()? as f32,
            "output_frame" => self.output_frame = string()?,
            "max_image_age_ms" => self.max_image_age_ms = number()?,
            "warmup_runs" => self.warmup_runs = count()?,
            // ROS 2's own parameter, meaningful to the transport, not to the node core.
            "use_sim_time" => {}
            _ if own => tracing::warn!("{origin}: unknown fusion parameter '{name}' ignored"),
            _ => {}
        }
        Ok(())
    }

    /// Range checks (also for parameters built in code); `origin` names them in errors.
    pub fn validate(&self, origin: &str) -> Result<(), ParamsError> {
        let out_of_range = |name: &str, value: String, allowed| ParamsError::OutOfRange {
            origin: origin.into(),
            name: name.into(),
            value,
            allowed,
        };
        if crate::model::parse_device_name(&self.device).is_none() {
            return Err(out_of_range(
                "device",
                format!("'{}'", self.device),
                "cpu, cuda or cuda:N",
            ));
        }
        if !(1..=1024).contains(&self.intra_op_threads) {
            return Err(out_of_range(
                "intra_op_threads",
                self.intra_op_threads.to_string(),
                "1..=1024",
            ));
        }
        if !(0.0..=1.0).contains(&self.score_threshold) {
            return Err(out_of_range("score_threshold", self.score_threshold.to_string(), "0..=1"));
        }
        if self.output_frame.trim().is_empty() {
            return Err(out_of_range("output_frame", "''".into(), "a frame name"));
        }
        if !(self.max_image_age_ms.is_finite() && self.max_image_age_ms >= 0.0) {
            return Err(out_of_range(
                "max_image_age_ms",
                self.max_image_age_ms.to_string(),
                ">= 0",
            ));
        }
        Ok(())
    }

    /// How the node loads its model.
    pub fn model_options(&self) -> ModelOptions {
        ModelOptions {
            device: self.device.clone(),
            intra_op_threads: self.intra_op_threads,
            warmup_runs: self.warmup_runs,
        }
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string '{s}'"),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a mapping".into(),
        Value::Tagged(t) => format!("tagged value {}", t.tag),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<FusionParams, ParamsError> {
        FusionParams::from_yaml_str(text, "fusion", "test.yaml")
    }

    #[test]
    fn node_section_overrides_wildcard_and_defaults_fill_the_rest() {
        let p = parse(
            "/**:\n  ros__parameters:\n    score_threshold: 0.3\n    use_sim_time: true\n    \
             device: cuda\nfusion:\n  ros__parameters:\n    score_threshold: 0.7\n    \
             model_path: m.pt\n    intra_op_threads: 4\n    max_image_age_ms: 50\n",
        )
        .unwrap();
        assert_eq!(p.score_threshold, 0.7);
        assert_eq!(p.device, "cuda");
        assert_eq!(p.model_path, Some(PathBuf::from("m.pt")));
        assert_eq!((p.intra_op_threads, p.max_image_age_ms), (4, 50.0));
        assert_eq!((p.output_frame.as_str(), p.warmup_runs), ("base_link", 1));
    }

    #[test]
    fn other_nodes_and_empty_model_path_leave_defaults() {
        let p = parse("planner:\n  ros__parameters:\n    speed: 3\n").unwrap();
        assert_eq!(p, FusionParams::default());
        let p = parse("/fusion:\n  ros__parameters:\n    model_path: ''\n").unwrap();
        assert_eq!(p.model_path, None);
    }

    #[test]
    fn wrong_types_and_ranges_name_the_parameter_and_file() {
        let e = parse("fusion:\n  ros__parameters:\n    intra_op_threads: 0\n").unwrap_err();
        assert!(matches!(&e, ParamsError::OutOfRange { name, .. } if name == "intra_op_threads"));
        assert!(e.to_string().contains("test.yaml"), "{e}");
        let e = parse("fusion:\n  ros__parameters:\n    score_threshold: 1.5\n").unwrap_err();
        assert!(matches!(&e, ParamsError::OutOfRange { name, .. } if name == "score_threshold"));
        let e = parse("fusion:\n  ros__parameters:\n    score_threshold: high\n").unwrap_err();
        assert!(
            matches!(&e, ParamsError::WrongType { name, found, .. } if name == "score_threshold" && found == "string 'high'"),
            "{e}"
        );
        let e = parse("fusion:\n  ros__parameters:\n    intra_op_threads: 2.5\n").unwrap_err();
        assert!(matches!(&e, ParamsError::WrongType { name, .. } if name == "intra_op_threads"));
        let e = parse("fusion:\n  ros__parameters:\n    warmup_runs: -1\n").unwrap_err();
        assert!(matches!(&e, ParamsError::OutOfRange { name, .. } if name == "warmup_runs"));
        let e = parse("fusion:\n  ros__parameters:\n    device: tpu\n").unwrap_err();
        assert!(matches!(&e, ParamsError::OutOfRange { name, .. } if name == "device"));
        let e = parse("fusion:\n  ros__parameters:\n    max_image_age_ms: -5\n").unwrap_err();
        assert!(matches!(&e, ParamsError::OutOfRange { name, .. } if name == "max_image_age_ms"));
        let e = parse("fusion:\n  ros__parameters: [1]\n").unwrap_err();
        assert!(matches!(e, ParamsError::Structure { .. }));
        let e = parse("fusion: [\n").unwrap_err();
        assert!(matches!(e, ParamsError::Yaml { .. }));
    }

    #[test]
    fn missing_file_names_it() {
        let e = FusionParams::from_yaml_file("/nonexistent/fusion.yaml", "fusion").unwrap_err();
        assert!(e.to_string().contains("/nonexistent/fusion.yaml"), "{e}");
    }
}
