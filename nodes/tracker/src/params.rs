//! Parameters of the tracker and the late fusion, read from the fusion node's ROS 2 parameters
//! file (the same file serves both transports). They live under `tracker.` and `late_fusion.`,
//! nested or dotted as ROS 2 accepts both:
//!
//! ```yaml
//! fusion:
//!   ros__parameters:
//!     model_path: target/models/fusion_fp32.pt   # the fusion node's own (ignored here)
//!     tracker:
//!       gate_chi2: 11.345
//!       confirm_hits: 3
//!     late_fusion.gate_chi2: 9.21
//! ```
//! Entries under `/**` apply first, the node's own override them (as ROS 2 does). Other names
//! are not ours and are left alone; unknown names under our prefixes are logged and ignored.

use serde_yaml_ng::Value;
use std::path::{Path, PathBuf};

/// Tracker parameters; the defaults suit a 10 Hz lidar-rate detector in `base_link`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackerParams {
    /// Frame of the detections and the tracks. Default `base_link`.
    pub frame_id: String,
    /// Detections below this score are ignored. Default 0.
    pub min_score: f32,
    /// An unmatched detection starts a (tentative) track only from this score. Default 0.5.
    pub birth_min_score: f32,
    /// Gate: squared Mahalanobis distance of the 3D position innovation. Default 11.345, the
    /// χ²(3 dof) 99 % quantile: a true match falls outside 1 % of the time.
    pub gate_chi2: f64,
    /// M of "M hits within the first N frames" that confirms a tentative track. Default 4:
    /// with 3 of 5, uniform clutter of 5 boxes per frame over 120 m x 80 m confirmed ~1 false
    /// track per 100 frames (the newborn's wide velocity gate catches a second and third box);
    /// 4 of 6 confirmed none, and tolerates two missed frames of a real target.
    pub confirm_hits: u32,
    /// Second chance for a confirmed track that found nothing in its gate: the nearest
    /// unmatched detection within this horizontal distance (m) of its prediction. Closer than
    /// two vehicles' centres can be; it saves tracks whose velocity went wrong on a few noisy
    /// boxes. 0 disables. Default 2.
    pub recovery_distance_m: f64,
    /// N of the confirmation rule (1..=32). Default 6.
    pub confirm_window: u32,
    /// A confirmed track survives this many consecutive frames without a detection, and is
    /// deleted at the next miss. Default 5 (0.5 s at 10 Hz).
    pub max_misses: u32,
    /// A track whose horizontal position σ (largest axis) grows above this is deleted, whatever
    /// its misses (long gaps between frames). Default 5 m.
    pub max_position_sigma_m: f64,
    /// Frames further apart than this reset the tracker (predictions over such gaps are
    /// meaningless). Default 1 s.
    pub max_gap_s: f64,
    /// White-noise acceleration σ, horizontal axes, m/s² (q = σ² · 1 s). Default 3.
    pub accel_noise_horizontal: f64,
    /// As above, vertical. Default 0.5.
    pub accel_noise_vertical: f64,
    /// Velocity σ of a newborn track (nothing known yet), m/s. Default 10.
    pub initial_velocity_sigma: f64,
    /// Position σ for detections whose covariance is missing or unusable, m. Default 1.
    pub default_position_sigma_m: f64,
    /// Only boxes of compatible classes associate (equal, unknown on either side, or both
    /// car/truck/bus, or both cyclist/motorcycle). Default true.
    pub class_aware: bool,
    /// No births beyond this many tracks. Default 1000.
    pub max_tracks: usize,
    /// Weight of a new box size in the running size (0..=1). Default 0.3.
    pub size_smoothing: f64,
    /// From this speed (m/s) the published yaw is the direction of motion. Default 1.5.
    pub yaw_from_velocity_min_speed: f64,
}

impl Default for TrackerParams {
    fn default() -> Self {
        Self {
            frame_id: "base_link".into(),
            min_score: 0.0,
            birth_min_score: 0.5,
            gate_chi2: 16.266,
            confirm_hits: 4,
            confirm_window: 6,
            recovery_distance_m: 2.0,
            max_misses: 5,
            max_position_sigma_m: 5.0,
            max_gap_s: 1.0,
            accel_noise_horizontal: 1.0,
            accel_noise_vertical: 0.5,
            initial_velocity_sigma: 10.0,
            default_position_sigma_m: 1.0,
            class_aware: true,
            max_tracks: 1000,
            size_smoothing: 0.3,
            yaw_from_velocity_min_speed: 1.5,
        }
    }
}

/// Late fusion parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct LateFusionParams {
    /// Gate: squared Mahalanobis distance in (x, y) between a track and a V2X report, and
    /// between two V2X reports. Default 9.21, the χ²(2 dof) 99 % quantile.
    pub gate_chi2: f64,
    /// V2X reports generated longer ago than this (at the output stamp) are dropped. Default 1 s.
    pub v2x_max_age_s: f64,
    /// Reports generated after the output stamp by more than this are dropped (clock skew is
    /// tolerated below it). Default 0.1 s.
    pub v2x_max_future_s: f64,
    /// Position σ (m) of a CAM without a usable covariance (GNSS of the sender). Default 2.
    pub default_sigma_cam_m: f64,
    /// As above for a CPM perceived object (sender's GNSS + its sensors). Default 3.
    pub default_sigma_cpm_m: f64,
    /// As above for a BSM. Default 2.
    pub default_sigma_bsm_m: f64,
    /// Velocity σ (m/s) of a report without a usable velocity covariance. Default 1.
    pub default_velocity_sigma: f64,
    /// Score of objects known only through V2X. Default 0.9.
    pub v2x_score: f32,
    /// As the tracker's: only compatible classes associate. Default true.
    pub class_aware: bool,
    /// The ego vehicle's footprint in the fusion frame (x from `ego_min_x_m` to `ego_max_x_m`,
    /// |y| up to `ego_half_width_m`): V2X reports there are of ourselves (another station's
    /// CPM perceiving us, our own CAM echoed) and are dropped. Defaults -1, 4, 1 m (base_link
    /// at the rear axle of a ~5 m car).
    pub ego_min_x_m: f64,
    pub ego_max_x_m: f64,
    pub ego_half_width_m: f64,
}

impl Default for LateFusionParams {
    fn default() -> Self {
        Self {
            gate_chi2: 9.21,
            v2x_max_age_s: 1.0,
            v2x_max_future_s: 0.1,
            default_sigma_cam_m: 2.0,
            default_sigma_cpm_m: 3.0,
            default_sigma_bsm_m: 2.0,
            default_velocity_sigma: 1.0,
            v2x_score: 0.9,
            class_aware: true,
            ego_min_x_m: -1.0,
            ego_max_x_m: 4.0,
            ego_half_width_m: 1.0,
        }
    }
}

/// Both parameter sets, as read from one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackingParams {
    pub tracker: TrackerParams,
    pub late_fusion: LateFusionParams,
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

impl TrackingParams {
    /// Reads `tracker.*` and `late_fusion.*` of `node_name` (and `/**`) from a YAML file.
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
            Value::Null => return Ok(params),
            _ => return Err(structure("top level is not a mapping of node names".into())),
        };
        for key in ["/**".to_string(), node_name.to_string(), format!("/{node_name}")] {
            let Some(section) = top.get(key.as_str()) else { continue };
            let entries = match section.get("ros__parameters") {
                Some(Value::Mapping(m)) => m,
                Some(Value::Null) => continue,
                Some(_) => {
                    return Err(structure(format!("'{key}.ros__parameters' is not a mapping")))
                }
                None => return Err(structure(format!("'{key}' has no ros__parameters"))),
            };
            let mut flat = Vec::new();
            flatten("", entries, &mut flat).map_err(structure)?;
            for (name, value) in flat {
                params.set(&name, value, origin, key != "/**")?;
            }
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
        let number = || value.as_f64().ok_or_else(|| wrong("a number"));
        let boolean = || value.as_bool().ok_or_else(|| wrong("a boolean"));
        let count = || {
            value.as_u64().ok_or_else(|| match value.as_i64() {
                Some(n) => ParamsError::OutOfRange {
                    origin: origin.into(),
                    name: name.into(),
                    value: n.to_string(),
                    allowed: ">= 0",
                },
                None => wrong("an integer"),
            })
        };
        let small = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        let (t, f) = (&mut self.tracker, &mut self.late_fusion);
        match name {
            "tracker.frame_id" => {
                t.frame_id = value.as_str().ok_or_else(|| wrong("a string"))?.to_string()
            }
            "tracker.min_score" => t.min_score = number()? as f32,
            "tracker.birth_min_score" => t.birth_min_score = number()? as f32,
            "tracker.gate_chi2" => t.gate_chi2 = number()?,
            "tracker.confirm_hits" => t.confirm_hits = small(count()?),
            "tracker.recovery_distance_m" => t.recovery_distance_m = number()?,
            "tracker.confirm_window" => t.confirm_window = small(count()?),
            "tracker.max_misses" => t.max_misses = small(count()?),
            "tracker.max_position_sigma_m" => t.max_position_sigma_m = number()?,
            "tracker.max_gap_s" => t.max_gap_s = number()?,
            "tracker.accel_noise_horizontal" => t.accel_noise_horizontal = number()?,
            "tracker.accel_noise_vertical" => t.accel_noise_vertical = number()?,
            "tracker.initial_velocity_sigma" => t.initial_velocity_sigma = number()?,
            "tracker.default_position_sigma_m" => t.default_position_sigma_m = number()?,
            "tracker.class_aware" => t.class_aware = boolean()?,
            "tracker.max_tracks" => t.max_tracks = usize::try_from(count()?).unwrap_or(usize::MAX),
            "tracker.size_smoothing" => t.size_smoothing = number()?,
            "tracker.yaw_from_velocity_min_speed" => t.yaw_from_velocity_min_speed = number()?,
            "late_fusion.gate_chi2" => f.gate_chi2 = number()?,
            "late_fusion.v2x_max_age_s" => f.v2x_max_age_s = number()?,
            "late_fusion.v2x_max_future_s" => f.v2x_max_future_s = number()?,
            "late_fusion.default_sigma_cam_m" => f.default_sigma_cam_m = number()?,
            "late_fusion.default_sigma_cpm_m" => f.default_sigma_cpm_m = number()?,
            "late_fusion.default_sigma_bsm_m" => f.default_sigma_bsm_m = number()?,
            "late_fusion.default_velocity_sigma" => f.default_velocity_sigma = number()?,
            "late_fusion.v2x_score" => f.v2x_score = number()? as f32,
            "late_fusion.class_aware" => f.class_aware = boolean()?,
            "late_fusion.ego_min_x_m" => f.ego_min_x_m = number()?,
            "late_fusion.ego_max_x_m" => f.ego_max_x_m = number()?,
            "late_fusion.ego_half_width_m" => f.ego_half_width_m = number()?,
            _ if own && (name.starts_with("tracker.") || name.starts_with("late_fusion.")) => {
                tracing::warn!("{origin}: unknown tracking parameter '{name}' ignored")
            }
            _ => {} // another component's parameter
        }
        Ok(())
    }

    /// Range checks (also for parameters built in code); `origin` names them in errors.
    pub fn validate(&self, origin: &str) -> Result<(), ParamsError> {
        let bad = |name: &str, value: String, allowed| {
            Err(ParamsError::OutOfRange {
                origin: origin.into(),
                name: name.into(),
                value,
                allowed,
            })
        };
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                bad(name, v.to_string(), "finite, > 0")
            }
        };
        let non_negative = |name: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                bad(name, v.to_string(), "finite, >= 0")
            }
        };
        let unit = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                bad(name, v.to_string(), "0..=1")
            }
        };
        let t = &self.tracker;
        if t.frame_id.trim().is_empty() {
            return bad("tracker.frame_id", "''".into(), "a frame name");
        }
        unit("tracker.min_score", f64::from(t.min_score))?;
        unit("tracker.birth_min_score", f64::from(t.birth_min_score))?;
        positive("tracker.gate_chi2", t.gate_chi2)?;
        if !(1..=32).contains(&t.confirm_window) {
            return bad("tracker.confirm_window", t.confirm_window.to_string(), "1..=32");
        }
        if !(1..=t.confirm_window).contains(&t.confirm_hits) {
            return bad(
                "tracker.confirm_hits",
                t.confirm_hits.to_string(),
                "1..=tracker.confirm_window",
            );
        }
        non_negative("tracker.recovery_distance_m", t.recovery_distance_m)?;
        positive("tracker.max_position_sigma_m", t.max_position_sigma_m)?;
        positive("tracker.max_gap_s", t.max_gap_s)?;
        non_negative("tracker.accel_noise_horizontal", t.accel_noise_horizontal)?;
        non_negative("tracker.accel_noise_vertical", t.accel_noise_vertical)?;
        positive("tracker.initial_velocity_sigma", t.initial_velocity_sigma)?;
        positive("tracker.default_position_sigma_m", t.default_position_sigma_m)?;
        if t.max_tracks == 0 {
            return bad("tracker.max_tracks", "0".into(), ">= 1");
        }
        unit("tracker.size_smoothing", t.size_smoothing)?;
        non_negative("tracker.yaw_from_velocity_min_speed", t.yaw_from_velocity_min_speed)?;
        let f = &self.late_fusion;
        positive("late_fusion.gate_chi2", f.gate_chi2)?;
        positive("late_fusion.v2x_max_age_s", f.v2x_max_age_s)?;
        non_negative("late_fusion.v2x_max_future_s", f.v2x_max_future_s)?;
        positive("late_fusion.default_sigma_cam_m", f.default_sigma_cam_m)?;
        positive("late_fusion.default_sigma_cpm_m", f.default_sigma_cpm_m)?;
        positive("late_fusion.default_sigma_bsm_m", f.default_sigma_bsm_m)?;
        positive("late_fusion.default_velocity_sigma", f.default_velocity_sigma)?;
        unit("late_fusion.v2x_score", f64::from(f.v2x_score))?;
        if !(f.ego_min_x_m.is_finite()
            && f.ego_max_x_m.is_finite()
            && f.ego_min_x_m <= f.ego_max_x_m)
        {
            return bad(
                "late_fusion.ego_max_x_m",
                format!("{} (ego_min_x_m {})", f.ego_max_x_m, f.ego_min_x_m),
                "finite, >= late_fusion.ego_min_x_m",
            );
        }
        non_negative("late_fusion.ego_half_width_m", f.ego_half_width_m)?;
        Ok(())
    }
}

/// `a: {b: 1}` and `a.b: 1` both become ("a.b", 1).
fn flatten<'a>(
    prefix: &str,
    map: &'a serde_yaml_ng::Mapping,
    out: &mut Vec<(String, &'a Value)>,
) -> Result<(), String> {
    for (name, value) in map {
        let Some(name) = name.as_str() else {
            return Err(format!("parameter name {name:?} under '{prefix}' is not a string"));
        };
        let full = if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") };
        match value {
            Value::Mapping(inner) => flatten(&full, inner, out)?,
            _ => out.push((full, value)),
        }
    }
    Ok(())
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

    fn parse(text: &str) -> Result<TrackingParams, ParamsError> {
        TrackingParams::from_yaml_str(text, "fusion", "test.yaml")
    }

    #[test]
    fn nested_and_dotted_names_override_wildcard_and_defaults_fill_the_rest() {
        let p = parse(
            "/**:\n  ros__parameters:\n    tracker.max_misses: 9\n    use_sim_time: true\n\
             fusion:\n  ros__parameters:\n    model_path: m.pt\n    tracker:\n      \
             max_misses: 7\n      class_aware: false\n    late_fusion.gate_chi2: 5.99\n",
        )
        .unwrap();
        assert_eq!(p.tracker.max_misses, 7);
        assert!(!p.tracker.class_aware);
        assert_eq!(p.late_fusion.gate_chi2, 5.99);
        assert_eq!(p.tracker.gate_chi2, TrackerParams::default().gate_chi2);
        assert_eq!(parse("").unwrap(), TrackingParams::default());
    }

    #[test]
    fn wrong_types_and_ranges_name_the_parameter_and_file() {
        let e = parse("fusion:\n  ros__parameters:\n    tracker.confirm_hits: 9\n").unwrap_err();
        assert!(
            matches!(&e, ParamsError::OutOfRange { name, .. } if name == "tracker.confirm_hits")
        );
        assert!(e.to_string().contains("test.yaml"), "{e}");
        let e = parse("fusion:\n  ros__parameters:\n    tracker: {max_misses: -1}\n").unwrap_err();
        assert!(matches!(&e, ParamsError::OutOfRange { name, .. } if name == "tracker.max_misses"));
        let e = parse("fusion:\n  ros__parameters:\n    tracker.gate_chi2: wide\n").unwrap_err();
        assert!(
            matches!(&e, ParamsError::WrongType { name, found, .. } if name == "tracker.gate_chi2" && found == "string 'wide'"),
            "{e}"
        );
        let e =
            parse("fusion:\n  ros__parameters:\n    late_fusion.v2x_max_age_s: 0\n").unwrap_err();
        assert!(
            matches!(&e, ParamsError::OutOfRange { name, .. } if name == "late_fusion.v2x_max_age_s")
        );
        let e = parse("fusion:\n  ros__parameters: 3\n").unwrap_err();
        assert!(matches!(e, ParamsError::Structure { .. }));
        let e = parse("fusion: [\n").unwrap_err();
        assert!(matches!(e, ParamsError::Yaml { .. }));
        let e = TrackingParams::from_yaml_file("/nonexistent/p.yaml", "fusion").unwrap_err();
        assert!(e.to_string().contains("/nonexistent/p.yaml"));
    }
}
