//! Parameters of the tracker and the late fusion, read from the fusion node's ROS 2 parameters
//! file (the same file serves both transports). They live under `tracker.` and `late_fusion.`,
//! nested or dotted as ROS 2 accepts both:
//!
//! ```yaml
//! fusion:
//!   ros__parameters:
//!     model_path: target/models/fusion_fp32.pt   # the fusion node's own (ignored here)
//!     tracker:
//!       gate_chi2: 16.266
//!       confirm_hits: 3
//!     late_fusion.gate_chi2: 9.21
//! ```
//! Files are read as ROS 2 reads them (`edgefusion_node::params`): sections in file order
//! (`/**`, `fusion`, `/fusion`, patterns), later values win. The fusion node reads these names
//! with its own through [`TrackingParams::read`], so its unknown-name check knows them; read
//! alone ([`TrackingParams::from_params`]), other names are not ours and are left alone, and
//! unknown names under our prefixes are logged and ignored.

pub use edgefusion_node::ParamsError;
use edgefusion_node::{NodeParams, Origins, ParamReader, Params};

/// Tracker parameters; the defaults suit a 10 Hz lidar-rate detector in `base_link`.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackerParams {
    /// Frame of the detections and the tracks. Default `base_link`.
    pub frame_id: String,
    /// Detections below this score are ignored. Default 0.
    pub min_score: f32,
    /// An unmatched detection starts a (tentative) track only from this score. Default 0.5.
    pub birth_min_score: f32,
    /// Gate: squared Mahalanobis distance of the 3D position innovation. Default 16.266, the
    /// χ²(3 dof) 99.9 % quantile: a true match falls outside 0.1 % of the time.
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

impl NodeParams for TrackingParams {
    /// `tracker.*` and `late_fusion.*` of a node's parameters (`node_name` for logs); unknown
    /// names under these prefixes are logged, the node's other parameters are left alone.
    fn from_params(params: &Params, node_name: &str) -> Result<Self, ParamsError> {
        // Only our names, so that the unknown-name check sees no other component's.
        let mut ours = Params::new();
        for (name, param) in params.iter().filter(|(name, _)| Self::is_ours(name)) {
            ours.set(name, param.value.clone(), &param.origin);
        }
        let r = ours.reader(node_name);
        let p = Self::read(&r)?;
        r.finish();
        Ok(p)
    }
}

impl TrackingParams {
    /// Whether `name` is under one of this crate's prefixes, `tracker.` and `late_fusion.`.
    pub fn is_ours(name: &str) -> bool {
        name.starts_with("tracker.") || name.starts_with("late_fusion.")
    }

    /// Reads and checks `tracker.*` and `late_fusion.*` through `r`, unset ones at their
    /// defaults. The fusion node calls this with the reader of all its parameters.
    pub fn read(r: &ParamReader) -> Result<Self, ParamsError> {
        let (t, f) = (TrackerParams::default(), LateFusionParams::default());
        let score = |name: &str, default: f32| r.f64(name, default.into()).map(|v| v as f32);
        // Counts: negative is out of range, not a wrong type.
        let count = |name: &str, default: u64| -> Result<u64, ParamsError> {
            let n = r.i64(name, i64::try_from(default).unwrap_or(i64::MAX))?;
            u64::try_from(n).map_err(|_| r.out_of_range(name, n, ">= 0"))
        };
        let small = |name: &str, default: u32| {
            count(name, default.into()).map(|n| u32::try_from(n).unwrap_or(u32::MAX))
        };
        let tracker = TrackerParams {
            frame_id: r.string("tracker.frame_id", &t.frame_id)?,
            min_score: score("tracker.min_score", t.min_score)?,
            birth_min_score: score("tracker.birth_min_score", t.birth_min_score)?,
            gate_chi2: r.f64("tracker.gate_chi2", t.gate_chi2)?,
            confirm_hits: small("tracker.confirm_hits", t.confirm_hits)?,
            recovery_distance_m: r.f64("tracker.recovery_distance_m", t.recovery_distance_m)?,
            confirm_window: small("tracker.confirm_window", t.confirm_window)?,
            max_misses: small("tracker.max_misses", t.max_misses)?,
            max_position_sigma_m: r.f64("tracker.max_position_sigma_m", t.max_position_sigma_m)?,
            max_gap_s: r.f64("tracker.max_gap_s", t.max_gap_s)?,
            accel_noise_horizontal: r
                .f64("tracker.accel_noise_horizontal", t.accel_noise_horizontal)?,
            accel_noise_vertical: r.f64("tracker.accel_noise_vertical", t.accel_noise_vertical)?,
            initial_velocity_sigma: r
                .f64("tracker.initial_velocity_sigma", t.initial_velocity_sigma)?,
            default_position_sigma_m: r
                .f64("tracker.default_position_sigma_m", t.default_position_sigma_m)?,
            class_aware: r.bool("tracker.class_aware", t.class_aware)?,
            max_tracks: usize::try_from(count("tracker.max_tracks", t.max_tracks as u64)?)
                .unwrap_or(usize::MAX),
            size_smoothing: r.f64("tracker.size_smoothing", t.size_smoothing)?,
            yaw_from_velocity_min_speed: r
                .f64("tracker.yaw_from_velocity_min_speed", t.yaw_from_velocity_min_speed)?,
        };
        let late_fusion = LateFusionParams {
            gate_chi2: r.f64("late_fusion.gate_chi2", f.gate_chi2)?,
            v2x_max_age_s: r.f64("late_fusion.v2x_max_age_s", f.v2x_max_age_s)?,
            v2x_max_future_s: r.f64("late_fusion.v2x_max_future_s", f.v2x_max_future_s)?,
            default_sigma_cam_m: r.f64("late_fusion.default_sigma_cam_m", f.default_sigma_cam_m)?,
            default_sigma_cpm_m: r.f64("late_fusion.default_sigma_cpm_m", f.default_sigma_cpm_m)?,
            default_sigma_bsm_m: r.f64("late_fusion.default_sigma_bsm_m", f.default_sigma_bsm_m)?,
            default_velocity_sigma: r
                .f64("late_fusion.default_velocity_sigma", f.default_velocity_sigma)?,
            v2x_score: score("late_fusion.v2x_score", f.v2x_score)?,
            class_aware: r.bool("late_fusion.class_aware", f.class_aware)?,
            ego_min_x_m: r.f64("late_fusion.ego_min_x_m", f.ego_min_x_m)?,
            ego_max_x_m: r.f64("late_fusion.ego_max_x_m", f.ego_max_x_m)?,
            ego_half_width_m: r.f64("late_fusion.ego_half_width_m", f.ego_half_width_m)?,
        };
        let p = Self { tracker, late_fusion };
        p.check(&Origins::Reader(r))?;
        Ok(p)
    }

    /// Range checks for parameters built in code; `origin` names them in errors.
    pub fn validate(&self, origin: &str) -> Result<(), ParamsError> {
        self.check(&Origins::Fixed(origin))
    }

    /// The checks of every value and of values together; `at` says where a name was set.
    fn check(&self, at: &Origins) -> Result<(), ParamsError> {
        let bad =
            |name: &str, value: String, allowed: &str| Err(at.out_of_range(name, value, allowed));
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn parse(text: &str) -> Result<TrackingParams, ParamsError> {
        TrackingParams::from_yaml_str(text, "fusion", "test.yaml")
    }

    /// The log lines (warnings and up) that `f` writes.
    fn warnings(f: impl FnOnce()) -> String {
        #[derive(Clone)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer(Arc::default());
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let text = buffer.0.lock().unwrap().clone();
        String::from_utf8(text).unwrap()
    }

    const FUSION_FILE: &str = "fusion:\n  ros__parameters:\n    model_path: m.pt\n    \
                               tracker:\n      max_misses: 7\n      gate_chi2_typo: 3\n    \
                               late_fusion.gate_chi2: 5.99\n";

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

    /// Read alone, only unknown names under our prefixes are reported, not the fusion node's.
    #[test]
    fn alone_only_unknown_names_under_our_prefixes_are_reported() {
        let log = warnings(|| {
            let p = parse(FUSION_FILE).unwrap();
            assert_eq!((p.tracker.max_misses, p.late_fusion.gate_chi2), (7, 5.99));
        });
        assert!(log.contains("unknown parameter 'tracker.gate_chi2_typo'"), "{log}");
        assert!(!log.contains("model_path") && !log.contains("max_misses"), "{log}");
    }

    /// Read with the fusion node's own reader, our names count as read: the node's check at
    /// the end reports only what neither knows.
    #[test]
    fn through_the_fusion_nodes_reader_our_names_are_known() {
        let mut params = Params::new();
        params.load_str(FUSION_FILE, "/fusion", "test.yaml").unwrap();
        let log = warnings(|| {
            let r = params.reader("fusion");
            r.path("model_path", None).unwrap(); // the fusion node's own parameter
            let p = TrackingParams::read(&r).unwrap();
            assert_eq!(p.tracker.max_misses, 7);
            r.finish();
        });
        assert!(log.contains("unknown parameter 'tracker.gate_chi2_typo'"), "{log}");
        assert!(!log.contains("max_misses") && !log.contains("late_fusion"), "{log}");
        assert_eq!(log.lines().count(), 1, "{log}");
    }

    /// Every error names the parameter and where it was set (file and section, or `-p`).
    #[test]
    fn wrong_types_and_ranges_name_the_parameter_and_file() {
        let origin = "(test.yaml, section 'fusion')";
        let e = parse("fusion:\n  ros__parameters:\n    tracker.confirm_hits: 9\n").unwrap_err();
        assert!(
            matches!(&e, ParamsError::OutOfRange { name, .. } if name == "tracker.confirm_hits")
        );
        assert_eq!(
            e.to_string(),
            format!(
                "parameter 'tracker.confirm_hits' {origin} = 9 is out of range \
                 (1..=tracker.confirm_window)"
            )
        );
        let e = parse("fusion:\n  ros__parameters:\n    tracker: {max_misses: -1}\n").unwrap_err();
        assert!(matches!(&e, ParamsError::OutOfRange { name, .. } if name == "tracker.max_misses"));
        assert!(e.to_string().starts_with(&format!("parameter 'tracker.max_misses' {origin}")));
        let e = parse("fusion:\n  ros__parameters:\n    tracker.gate_chi2: wide\n").unwrap_err();
        assert!(
            matches!(&e, ParamsError::WrongType { name, found, .. } if name == "tracker.gate_chi2" && found == "string 'wide'"),
            "{e}"
        );
        assert!(e.to_string().starts_with(&format!("parameter 'tracker.gate_chi2' {origin}")));
        let e = parse("/**:\n  ros__parameters:\n    late_fusion.v2x_max_age_s: 0\n").unwrap_err();
        assert!(
            matches!(&e, ParamsError::OutOfRange { name, .. } if name == "late_fusion.v2x_max_age_s")
        );
        assert!(e.to_string().contains("(test.yaml, section '/**')"), "{e}");
        let mut params = Params::new();
        params.set_from_text("tracker.max_tracks", "0", "-p").unwrap();
        let e = TrackingParams::from_params(&params, "fusion").unwrap_err();
        assert_eq!(e.to_string(), "parameter 'tracker.max_tracks' (-p) = 0 is out of range (>= 1)");
        let e = parse("fusion:\n  ros__parameters: 3\n").unwrap_err();
        assert!(matches!(e, ParamsError::Structure { .. }));
        let e = parse("fusion: [\n").unwrap_err();
        assert!(matches!(e, ParamsError::Yaml { .. }));
        let e = TrackingParams::from_yaml_file("/nonexistent/p.yaml", "fusion").unwrap_err();
        assert!(e.to_string().contains("/nonexistent/p.yaml"));
    }
}
