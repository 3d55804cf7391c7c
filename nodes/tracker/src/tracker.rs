//! Multi-object tracker: per frame, predict every track to the detections' stamp, gate
//! (Mahalanobis) and assign globally (see `assignment`), update, then manage track life:
//!
//! - second chance: a confirmed track with nothing in its gate takes the nearest unmatched
//!   detection within `recovery_distance_m` (a velocity spoiled by a few noisy boxes otherwise
//!   drifts the prediction out of the gate and a new id takes over the object);
//! - birth: an unmatched detection (score >= `birth_min_score`, outside every track's gate)
//!   starts a *tentative* track with zero velocity and a wide velocity covariance;
//! - confirmation: M hits within the track's first N frames (`confirm_hits` of
//!   `confirm_window`); a tentative track that can no longer reach M is deleted (clutter);
//! - deletion of a confirmed track: more than `max_misses` consecutive frames without a
//!   detection, or a horizontal position σ above `max_position_sigma_m` (covariance growth over
//!   long gaps between frames).
//!
//! Only confirmed tracks are published (coasting ones included, with their grown covariance).
//! Time: the detection stamp drives prediction. A stamp older than the previous one, or a gap
//! above `max_gap_s`, resets all tracks (warning + counter); ids keep counting, never reused.

use crate::assignment::{assign, Candidate};
use crate::geometry::{self, classes_compatible, wrap_angle};
use crate::kalman::CvFilter;
use crate::params::TrackerParams;
use crate::stats::{Counter, Stats};
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::edgefusion::{DetectedObject, DetectedObjectArray};
use edgefusion_msgs::geometry_msgs::{Covariance, Point, Vector3 as MsgVector3};
use edgefusion_msgs::std_msgs::Header;
use nalgebra::{Isometry3, Matrix3, Matrix6, Point3, Vector3};
use std::f64::consts::{FRAC_PI_2, PI};

/// Largest id of a track; ids above are the late fusion's (V2X-only objects).
pub const MAX_TRACK_ID: u32 = 0x7FFF_FFFF;

/// Yaw process noise, rad²/s: a heading may change ~0.5 rad/s between boxes.
const YAW_PROCESS_VAR_PER_S: f64 = 0.25;

/// An input the tracker refuses as a whole.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrackerError {
    #[error("detections: header.frame_id is '{found}', the tracker works in '{expected}'")]
    WrongFrame { expected: String, found: String },
}

/// Where a track is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackStatus {
    Tentative,
    Confirmed,
}

/// One tracked object.
#[derive(Debug, Clone)]
pub struct Track {
    id: u32,
    status: TrackStatus,
    filter: CvFilter,
    /// Hits in the first `confirm_window` frames and frames lived (for confirmation).
    hits: u32,
    age: u32,
    consecutive_misses: u32,
    /// Summed detection scores per class (argmax = the published class).
    class_scores: [f32; 7],
    size: [f64; 3],
    yaw: f64,
    yaw_var: f64,
    score: f32,
    /// The last associated detection (label, modalities, image box, roll/pitch variance).
    last: DetectedObject,
    matched_now: bool,
}

impl Track {
    pub fn id(&self) -> u32 {
        self.id
    }

    pub fn status(&self) -> TrackStatus {
        self.status
    }

    pub fn consecutive_misses(&self) -> u32 {
        self.consecutive_misses
    }

    pub fn position(&self) -> [f64; 3] {
        self.filter.position().into()
    }

    pub fn velocity(&self) -> [f64; 3] {
        self.filter.velocity().into()
    }

    fn class(&self) -> u8 {
        // Known classes win over "unknown"; ties go to the lower class number.
        let best_known = (1..self.class_scores.len())
            .filter(|&c| self.class_scores[c] > 0.0)
            .max_by(|&a, &b| self.class_scores[a].total_cmp(&self.class_scores[b]).then(b.cmp(&a)));
        best_known.map_or(DetectedObject::CLASS_UNKNOWN, |c| c as u8)
    }

    /// The track as a published object.
    fn to_object(&self, min_speed_for_heading: f64) -> DetectedObject {
        let p = self.filter.position();
        let v = self.filter.velocity();
        let speed = v.x.hypot(v.y);
        let (yaw, yaw_var) = if speed >= min_speed_for_heading && speed > 0.0 {
            // σ of the direction of motion ≈ σ of the velocity across it / speed.
            let pv = self.filter.velocity_cov();
            let across = Vector3::new(-v.y / speed, v.x / speed, 0.0);
            (v.y.atan2(v.x), (across.transpose() * pv * across)[(0, 0)] / (speed * speed))
        } else {
            (self.yaw, self.yaw_var)
        };
        let mut pose_covariance = [0.0; 36];
        geometry::set_position_block(&mut pose_covariance, &self.filter.position_cov());
        pose_covariance[21] = self.last.pose_covariance.0[21];
        pose_covariance[28] = self.last.pose_covariance.0[28];
        pose_covariance[35] = yaw_var.min(PI * PI);
        let (has_image_box, image_box, num_points) = if self.matched_now {
            (self.last.has_image_box, self.last.image_box, self.last.num_points)
        } else {
            (false, [0.0; 4], 0)
        };
        DetectedObject {
            center: Point { x: p.x, y: p.y, z: p.z },
            size: MsgVector3 { x: self.size[0], y: self.size[1], z: self.size[2] },
            yaw: wrap_angle(yaw),
            classification: self.class(),
            label: self.last.label.clone(),
            score: self.score,
            velocity: MsgVector3 { x: v.x, y: v.y, z: v.z },
            pose_covariance: Covariance(pose_covariance),
            velocity_covariance: geometry::to_row_major(&self.filter.velocity_cov()),
            track_id: self.id,
            modalities: self.last.modalities,
            num_points,
            has_image_box,
            image_box,
        }
    }
}

/// A detection accepted for association.
struct Measurement {
    index: usize,
    z: Vector3<f64>,
    r: Matrix3<f64>,
    class: u8,
    yaw_var: f64,
}

/// The tracker (transport-free): feed it each frame's detections, publish what it returns.
#[derive(Debug, Clone)]
pub struct Tracker {
    params: TrackerParams,
    tracks: Vec<Track>,
    next_id: u32,
    last_stamp_ns: Option<i64>,
    stats: Stats,
}

impl Tracker {
    /// A tracker with validated parameters.
    pub fn new(params: TrackerParams) -> Result<Self, crate::params::ParamsError> {
        let all = crate::params::TrackingParams { tracker: params, ..Default::default() };
        all.validate("tracker parameters")?;
        Ok(Self {
            params: all.tracker,
            tracks: Vec::new(),
            next_id: 1,
            last_stamp_ns: None,
            stats: Stats::default(),
        })
    }

    pub fn params(&self) -> &TrackerParams {
        &self.params
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// All live tracks, tentative ones included.
    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }

    /// Forgets every track (ids keep counting).
    pub fn reset(&mut self) {
        self.tracks.clear();
        self.last_stamp_ns = None;
    }

    /// The tracking frame moved (the vehicle drove): carries every track into the new frame,
    /// `new_from_old` taking old-frame coordinates to new ones. Positions move and rotate,
    /// velocities (over ground) and covariances rotate, headings turn. Call before
    /// [`Tracker::update`] with the ego motion since the previous frame.
    pub fn move_frame(&mut self, new_from_old: &Isometry3<f64>) {
        let rotation = new_from_old.rotation.to_rotation_matrix().into_inner();
        let mut both = Matrix6::zeros();
        both.fixed_view_mut::<3, 3>(0, 0).copy_from(&rotation);
        both.fixed_view_mut::<3, 3>(3, 3).copy_from(&rotation);
        let heading_change = rotation[(1, 0)].atan2(rotation[(0, 0)]);
        for track in &mut self.tracks {
            let filter = &mut track.filter;
            let position = new_from_old * Point3::from(filter.position());
            let velocity = rotation * filter.velocity();
            filter.x.fixed_rows_mut::<3>(0).copy_from(&position.coords);
            filter.x.fixed_rows_mut::<3>(3).copy_from(&velocity);
            filter.p = both * filter.p * both.transpose();
            track.yaw = wrap_angle(track.yaw + heading_change);
        }
    }

    /// One frame of detections (in `params.frame_id`, stamped by the sensor data they came
    /// from) in, the confirmed tracks at that stamp out (sorted by track id).
    pub fn update(
        &mut self,
        detections: &DetectedObjectArray,
    ) -> Result<DetectedObjectArray, TrackerError> {
        self.stats.increment(Counter::Frames);
        self.stats.add(Counter::DetectionsReceived, detections.objects.len() as u64);
        if detections.header.frame_id != self.params.frame_id {
            self.stats.increment(Counter::WrongFrame);
            tracing::warn!(
                "tracker: detections in frame '{}' rejected (tracking frame '{}')",
                detections.header.frame_id,
                self.params.frame_id
            );
            return Err(TrackerError::WrongFrame {
                expected: self.params.frame_id.clone(),
                found: detections.header.frame_id.clone(),
            });
        }
        let dt = self.advance_clock(detections.header.stamp);
        let measurements = self.measurements(&detections.objects);
        let (q_h, q_v) =
            (self.params.accel_noise_horizontal.powi(2), self.params.accel_noise_vertical.powi(2));
        for track in &mut self.tracks {
            track.filter.predict(dt, q_h, q_v);
            track.yaw_var = (track.yaw_var + YAW_PROCESS_VAR_PER_S * dt).min(PI * PI);
            track.matched_now = false;
        }

        let (candidates, gated) = self.gate(&measurements);
        let pairs =
            assign(self.tracks.len(), measurements.len(), &candidates, self.params.gate_chi2);
        let mut matched = vec![false; measurements.len()];
        self.apply(&pairs, &measurements, &detections.objects, &mut matched);
        let recovery = self.recover(&measurements, &matched);
        self.stats.add(Counter::RecoveredAssociations, recovery.len() as u64);
        self.apply(&recovery, &measurements, &detections.objects, &mut matched);
        self.manage_lives();
        self.births(&measurements, &matched, &gated, &detections.objects);

        let mut objects: Vec<DetectedObject> = self
            .tracks
            .iter()
            .filter(|t| t.status == TrackStatus::Confirmed)
            .map(|t| t.to_object(self.params.yaw_from_velocity_min_speed))
            .collect();
        objects.sort_by_key(|o| o.track_id);
        Ok(DetectedObjectArray {
            header: Header {
                stamp: detections.header.stamp,
                frame_id: self.params.frame_id.clone(),
            },
            objects,
        })
    }

    /// Seconds to predict by; resets on time going backwards or a large gap.
    fn advance_clock(&mut self, stamp: Time) -> f64 {
        let now = stamp.as_nanos();
        let Some(last) = self.last_stamp_ns.replace(now) else { return 0.0 };
        let dt = (now - last) as f64 * 1e-9;
        if dt < 0.0 {
            self.stats.increment(Counter::TimeWentBackwards);
            tracing::warn!(
                "tracker: stamp {now} ns is {:.3} s older than the previous frame; resetting {} tracks",
                -dt,
                self.tracks.len()
            );
            self.tracks.clear();
            return 0.0;
        }
        if dt > self.params.max_gap_s {
            self.stats.increment(Counter::LargeGap);
            tracing::warn!(
                "tracker: {dt:.3} s since the previous frame (max_gap_s {}); resetting {} tracks",
                self.params.max_gap_s,
                self.tracks.len()
            );
            self.tracks.clear();
            return 0.0;
        }
        dt
    }

    /// Valid detections with their measurement covariance; the rest counted and dropped.
    fn measurements(&mut self, objects: &[DetectedObject]) -> Vec<Measurement> {
        let mut out = Vec::with_capacity(objects.len());
        let mut non_finite = 0u64;
        for (index, o) in objects.iter().enumerate() {
            let values = [o.center.x, o.center.y, o.center.z, o.size.x, o.size.y, o.size.z, o.yaw];
            let finite = values.iter().all(|v| v.is_finite())
                && o.score.is_finite()
                && o.pose_covariance.0.iter().all(|v| v.is_finite());
            if !finite {
                non_finite += 1;
                continue;
            }
            if o.size.x < 0.0 || o.size.y < 0.0 || o.size.z < 0.0 {
                self.stats.increment(Counter::InvalidDetection);
                tracing::debug!("tracker: detection {index} has a negative size; dropped");
                continue;
            }
            if o.score < self.params.min_score {
                self.stats.increment(Counter::LowScoreDetection);
                continue;
            }
            let r = geometry::position_block(&o.pose_covariance.0).unwrap_or_else(|| {
                self.stats.increment(Counter::DefaultedCovariance);
                Matrix3::identity() * self.params.default_position_sigma_m.powi(2)
            });
            let yaw_var = o.pose_covariance.0[35];
            let yaw_var = if yaw_var > 0.0 { yaw_var } else { FRAC_PI_2 * FRAC_PI_2 };
            let z = Vector3::new(o.center.x, o.center.y, o.center.z);
            out.push(Measurement { index, z, r, class: o.classification, yaw_var });
        }
        if non_finite > 0 {
            self.stats.add(Counter::NonFiniteDetection, non_finite);
            tracing::warn!("tracker: {non_finite} detection(s) with NaN/inf dropped");
        }
        out
    }

    /// Gated (track, measurement) pairs, and which measurements fell in any track's gate.
    fn gate(&self, measurements: &[Measurement]) -> (Vec<Candidate>, Vec<bool>) {
        let gate = self.params.gate_chi2;
        let mut candidates = Vec::new();
        let mut gated = vec![false; measurements.len()];
        // Measurements sorted by x: each track only looks at those within its largest possible
        // gate radius along x (d² >= |y|² / trace(S), so |Δx| <= sqrt(gate · trace(S))).
        let mut by_x: Vec<(f64, usize)> =
            measurements.iter().enumerate().map(|(m, meas)| (meas.z.x, m)).collect();
        by_x.sort_by(|a, b| a.0.total_cmp(&b.0));
        let max_trace_r = measurements.iter().map(|m| m.r.trace()).fold(0.0, f64::max);
        for (t, track) in self.tracks.iter().enumerate() {
            let p = track.filter.position();
            let trace_p = track.filter.position_cov().trace();
            let class = track.class();
            let reach = (gate * (trace_p + max_trace_r)).sqrt();
            let first = by_x.partition_point(|(x, _)| *x < p.x - reach);
            for &(x, m) in by_x.get(first..).unwrap_or_default() {
                if x > p.x + reach {
                    break;
                }
                let Some(meas) = measurements.get(m) else { continue };
                if self.params.class_aware && !classes_compatible(class, meas.class) {
                    continue;
                }
                // Exact pre-filter: d² >= |y|² / λmax(S) >= |y|² / trace(S).
                let y2 = (meas.z - p).norm_squared();
                if y2 > gate * (trace_p + meas.r.trace()) {
                    continue;
                }
                let Some(inn) = track.filter.innovation(&meas.z, &meas.r) else { continue };
                if inn.d2 < gate {
                    candidates.push(Candidate { row: t, col: m, cost: inn.d2 });
                    if let Some(flag) = gated.get_mut(m) {
                        *flag = true;
                    }
                }
            }
        }
        (candidates, gated)
    }

    /// Kalman updates of matched (track, measurement) pairs.
    fn apply(
        &mut self,
        pairs: &[(usize, usize)],
        measurements: &[Measurement],
        objects: &[DetectedObject],
        matched: &mut [bool],
    ) {
        for &(t, m) in pairs {
            let (Some(track), Some(meas)) = (self.tracks.get_mut(t), measurements.get(m)) else {
                continue;
            };
            let Some(det) = objects.get(meas.index) else { continue };
            let Some(inn) = track.filter.innovation(&meas.z, &meas.r) else { continue };
            if track.filter.update(&inn, &meas.r) {
                absorb(track, det, meas, self.params.size_smoothing);
                if let Some(flag) = matched.get_mut(m) {
                    *flag = true;
                }
            }
        }
    }

    /// Second pass: confirmed tracks left without a detection vs unmatched detections, on
    /// horizontal distance (`recovery_distance_m`), assigned globally as the first pass.
    fn recover(&self, measurements: &[Measurement], matched: &[bool]) -> Vec<(usize, usize)> {
        let max = self.params.recovery_distance_m;
        if max <= 0.0 {
            return Vec::new();
        }
        let mut candidates = Vec::new();
        for (t, track) in self.tracks.iter().enumerate() {
            if track.matched_now || track.status != TrackStatus::Confirmed {
                continue;
            }
            let p = track.filter.position();
            let class = track.class();
            for (m, meas) in measurements.iter().enumerate() {
                if matched.get(m).copied().unwrap_or(true)
                    || (self.params.class_aware && !classes_compatible(class, meas.class))
                {
                    continue;
                }
                let d2 = (meas.z.x - p.x).powi(2) + (meas.z.y - p.y).powi(2);
                if d2 < max * max {
                    candidates.push(Candidate { row: t, col: m, cost: d2 });
                }
            }
        }
        assign(self.tracks.len(), measurements.len(), &candidates, max * max)
    }

    /// Misses, confirmation and deletion.
    fn manage_lives(&mut self) {
        let p = &self.params;
        let max_var = p.max_position_sigma_m.powi(2);
        let stats = &mut self.stats;
        self.tracks.retain_mut(|track| {
            track.age = track.age.saturating_add(1);
            if track.matched_now {
                track.consecutive_misses = 0;
                if track.age <= p.confirm_window {
                    track.hits += 1;
                }
            } else {
                track.consecutive_misses = track.consecutive_misses.saturating_add(1);
            }
            if !(track.filter.x.iter().all(|v| v.is_finite())
                && track.filter.p.iter().all(|v| v.is_finite()))
            {
                stats.increment(Counter::TracksDeletedNumerical);
                tracing::warn!("tracker: track {} diverged numerically; deleted", track.id);
                return false;
            }
            match track.status {
                TrackStatus::Tentative => {
                    if track.hits >= p.confirm_hits {
                        track.status = TrackStatus::Confirmed;
                        stats.increment(Counter::TracksConfirmed);
                    } else {
                        let remaining = p.confirm_window.saturating_sub(track.age);
                        if track.hits + remaining < p.confirm_hits {
                            stats.increment(Counter::TracksDeletedTentative);
                            return false;
                        }
                    }
                }
                TrackStatus::Confirmed => {
                    if track.consecutive_misses > p.max_misses {
                        stats.increment(Counter::TracksDeletedMisses);
                        return false;
                    }
                }
            }
            let pc = track.filter.position_cov();
            if pc[(0, 0)].max(pc[(1, 1)]) > max_var {
                stats.increment(Counter::TracksDeletedCovariance);
                return false;
            }
            true
        });
    }

    fn births(
        &mut self,
        measurements: &[Measurement],
        matched: &[bool],
        gated: &[bool],
        objects: &[DetectedObject],
    ) {
        let velocity_var = self.params.initial_velocity_sigma.powi(2);
        for (m, meas) in measurements.iter().enumerate() {
            if matched.get(m).copied().unwrap_or(true) {
                continue;
            }
            let Some(det) = objects.get(meas.index) else { continue };
            if det.score < self.params.birth_min_score {
                continue;
            }
            if gated.get(m).copied().unwrap_or(false) {
                self.stats.increment(Counter::BirthsSuppressed);
                continue;
            }
            if self.tracks.len() >= self.params.max_tracks {
                self.stats.increment(Counter::TrackLimit);
                continue;
            }
            let id = self.next_id;
            self.next_id = if id >= MAX_TRACK_ID { 1 } else { id + 1 };
            let mut track = Track {
                id,
                status: TrackStatus::Tentative,
                filter: CvFilter::new(meas.z, &meas.r, velocity_var),
                hits: 1,
                age: 1,
                consecutive_misses: 0,
                class_scores: [0.0; 7],
                size: [det.size.x, det.size.y, det.size.z],
                yaw: det.yaw,
                yaw_var: meas.yaw_var,
                score: det.score,
                last: det.clone(),
                matched_now: true,
            };
            add_class_score(&mut track, det);
            if self.params.confirm_hits <= 1 {
                track.status = TrackStatus::Confirmed;
                self.stats.increment(Counter::TracksConfirmed);
            }
            self.tracks.push(track);
            self.stats.increment(Counter::TracksBorn);
        }
    }
}

/// Everything but the position/velocity of a matched detection into its track.
fn absorb(track: &mut Track, det: &DetectedObject, meas: &Measurement, size_weight: f64) {
    track.matched_now = true;
    for (s, new) in track.size.iter_mut().zip([det.size.x, det.size.y, det.size.z]) {
        *s += size_weight * (new - *s);
    }
    // Yaw: a 1-D Kalman update on the circle. A box's heading is ambiguous by π (front and back
    // look alike): a measurement more than 90° off is taken flipped.
    let mut diff = wrap_angle(det.yaw - track.yaw);
    if diff.abs() > FRAC_PI_2 {
        diff = wrap_angle(diff + PI);
    }
    let gain = track.yaw_var / (track.yaw_var + meas.yaw_var);
    track.yaw = wrap_angle(track.yaw + gain * diff);
    track.yaw_var *= 1.0 - gain;
    track.score += 0.5 * (det.score - track.score);
    add_class_score(track, det);
    track.last = det.clone();
}

fn add_class_score(track: &mut Track, det: &DetectedObject) {
    if let Some(s) = track.class_scores.get_mut(usize::from(det.classification)) {
        *s += det.score.max(0.01);
    }
}
