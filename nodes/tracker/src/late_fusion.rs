//! Late fusion of tracked local objects with V2X reports, in the ego frame:
//!
//! 1. every input is moved to the output stamp (the newest input stamp) at constant velocity,
//!    its position covariance grown by dt² × its velocity covariance; V2X reports older than
//!    `v2x_max_age_s` or dated in the future are dropped, and so are reports of the ego vehicle
//!    itself (another station's CPM sees us: a box inside our own footprint);
//! 2. reports of one physical object from several senders (a CAM station also perceived in
//!    another station's CPM, or two CPMs) are merged: pairs within the gate (Mahalanobis in
//!    x, y) are joined closest first, never two reports of the same sender (one sender's
//!    objects are distinct by definition);
//! 3. merged reports and local tracks are assigned globally (gated as above, see
//!    `assignment`); a matched pair becomes one object (inverse-covariance weighted position and
//!    velocity, the local box's size and id, modalities of both), the rest are published on
//!    their own: local objects as they came, V2X-only objects with their own uncertainty and a
//!    stable id per sender's object (ids above [`MAX_TRACK_ID`], never a tracker's).
//!
//! Independent errors are assumed when fusing (local sensors vs the sender's GNSS and sensors).

use crate::assignment::{assign, Candidate};
use crate::geometry::{self, classes_compatible};
use crate::params::LateFusionParams;
use crate::stats::{Counter, Stats};
use crate::tracker::MAX_TRACK_ID;
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::edgefusion::{DetectedObject, DetectedObjectArray, V2xObject, V2xObjectArray};
use edgefusion_msgs::geometry_msgs::{Covariance, Point, Vector3 as MsgVector3};
use edgefusion_msgs::std_msgs::Header;
use nalgebra::{Matrix2, Matrix3, Vector2};
use std::collections::HashMap;

/// V2X-only objects that were not reported for this long lose their id.
const ID_RETENTION_NS: i64 = 10_000_000_000;
/// Yaw variance of a V2X report without one (heading from the sender's own sensors).
const DEFAULT_V2X_YAW_VAR: f64 = 0.1;
/// Height variance of a V2X report without one, m².
const DEFAULT_V2X_Z_VAR: f64 = 1.0;

/// An input the late fusion refuses as a whole.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LateFusionError {
    #[error(
        "tracked objects: header.frame_id is '{found}', the late fusion works in '{expected}'"
    )]
    WrongFrame { expected: String, found: String },
}

/// Identity of a sender's object: (station id, CPM object id or 0 for the station itself).
type ReportKey = (u32, u32);

/// One V2X report (or several merged), at the output stamp.
#[derive(Debug, Clone)]
struct Report {
    keys: Vec<ReportKey>,
    /// Senders merged in (a report never merges with one of the same sender).
    senders: Vec<u32>,
    kind: u8,
    class: u8,
    position: Vector2<f64>,
    position_cov: Matrix2<f64>,
    z: f64,
    z_var: f64,
    velocity: Vector2<f64>,
    velocity_cov: Matrix2<f64>,
    yaw: Option<f64>,
    yaw_var: f64,
    size: [f64; 3],
}

impl Report {
    /// The key whose id the merged object keeps: a station's own announcement first.
    fn primary_key(&self) -> ReportKey {
        let own = self.keys.iter().filter(|k| k.1 == 0).min();
        own.or_else(|| self.keys.iter().min()).copied().unwrap_or((0, 0))
    }
}

/// The late fusion (transport-free; keeps only the ids of V2X-only objects between calls).
#[derive(Debug, Clone)]
pub struct LateFusion {
    params: LateFusionParams,
    frame_id: String,
    stats: Stats,
    ids: HashMap<ReportKey, (u32, i64)>,
    next_id: u32,
}

impl LateFusion {
    /// Fusion in `frame_id` (the tracker's frame) with validated parameters.
    pub fn new(
        params: LateFusionParams,
        frame_id: &str,
    ) -> Result<Self, crate::params::ParamsError> {
        let all = crate::params::TrackingParams { late_fusion: params, ..Default::default() };
        all.validate("late fusion parameters")?;
        Ok(Self {
            params: all.late_fusion,
            frame_id: frame_id.to_string(),
            stats: Stats::default(),
            ids: HashMap::new(),
            next_id: MAX_TRACK_ID + 1,
        })
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Tracked local objects (the tracker's output) and the latest V2X objects, if any, into
    /// one object list stamped with the newer of the two stamps.
    pub fn fuse(
        &mut self,
        tracked: &DetectedObjectArray,
        v2x: Option<&V2xObjectArray>,
    ) -> Result<DetectedObjectArray, LateFusionError> {
        self.stats.increment(Counter::FusionRuns);
        if tracked.header.frame_id != self.frame_id {
            self.stats.increment(Counter::WrongFrame);
            return Err(LateFusionError::WrongFrame {
                expected: self.frame_id.clone(),
                found: tracked.header.frame_id.clone(),
            });
        }
        let v2x = v2x.filter(|array| {
            let same = array.header.frame_id == self.frame_id;
            if !same {
                self.stats.increment(Counter::V2xWrongFrame);
                tracing::warn!(
                    "late fusion: V2X objects in frame '{}' ignored (fusion frame '{}')",
                    array.header.frame_id,
                    self.frame_id
                );
            }
            same
        });
        let stamp = match v2x {
            Some(array) if array.header.stamp > tracked.header.stamp => array.header.stamp,
            _ => tracked.header.stamp,
        };
        let now = stamp.as_nanos();
        let local = self.locals(tracked, now);
        let reports = match v2x {
            Some(array) => self.reports(array, now),
            None => Vec::new(),
        };
        let reports = self.merge_duplicates(reports);

        // Local objects vs merged reports.
        let gate = self.params.gate_chi2;
        let mut candidates = Vec::new();
        for (i, (o, cov)) in local.iter().enumerate() {
            let p = Vector2::new(o.center.x, o.center.y);
            for (j, r) in reports.iter().enumerate() {
                if self.params.class_aware && !classes_compatible(o.classification, r.class) {
                    continue;
                }
                if let Some(d2) = within_gate(&(r.position - p), &(cov + r.position_cov), gate) {
                    candidates.push(Candidate { row: i, col: j, cost: d2 });
                }
            }
        }
        let pairs = assign(local.len(), reports.len(), &candidates, gate);
        let mut report_used = vec![false; reports.len()];
        let mut partner: Vec<Option<usize>> = vec![None; local.len()];
        for &(i, j) in &pairs {
            partner[i] = Some(j);
            report_used[j] = true;
        }
        self.stats.add(Counter::V2xMatched, pairs.len() as u64);

        let mut objects = Vec::with_capacity(local.len() + reports.len());
        for ((o, cov), j) in local.into_iter().zip(partner) {
            match j.and_then(|j| reports.get(j)) {
                Some(r) => objects.push(fuse_pair(o, &cov, r, self.params.v2x_score)),
                None => objects.push(o),
            }
        }
        for (r, used) in reports.iter().zip(report_used) {
            if !used {
                let id = self.id_for(r, now);
                objects.push(v2x_object(r, id, self.params.v2x_score));
                self.stats.increment(Counter::V2xOnly);
            }
        }
        self.ids.retain(|_, (_, seen)| now - *seen <= ID_RETENTION_NS && now >= *seen);
        self.stats.add(Counter::FusedObjectsPublished, objects.len() as u64);
        Ok(DetectedObjectArray {
            header: Header { stamp, frame_id: self.frame_id.clone() },
            objects,
        })
    }

    /// Local objects moved to `now`, with their horizontal position covariance.
    fn locals(
        &mut self,
        tracked: &DetectedObjectArray,
        now: i64,
    ) -> Vec<(DetectedObject, Matrix2<f64>)> {
        let dt = (now - tracked.header.stamp.as_nanos()) as f64 * 1e-9;
        let mut out = Vec::with_capacity(tracked.objects.len());
        for o in &tracked.objects {
            let values =
                [o.center.x, o.center.y, o.center.z, o.velocity.x, o.velocity.y, o.velocity.z];
            if !(values.iter().all(|v| v.is_finite())
                && o.pose_covariance.0.iter().all(|v| v.is_finite())
                && o.velocity_covariance.iter().all(|v| v.is_finite()))
            {
                self.stats.increment(Counter::NonFiniteDetection);
                continue;
            }
            let mut o = o.clone();
            let mut pos = geometry::position_block(&o.pose_covariance.0)
                .unwrap_or_else(|| Matrix3::identity() * self.params.default_sigma_cpm_m.powi(2));
            if dt > 0.0 {
                o.center.x += o.velocity.x * dt;
                o.center.y += o.velocity.y * dt;
                o.center.z += o.velocity.z * dt;
                if let Some(v) = geometry::matrix3(&o.velocity_covariance) {
                    pos += v * (dt * dt);
                }
                geometry::set_position_block(&mut o.pose_covariance.0, &pos);
            }
            out.push((o, geometry::xy(&pos)));
        }
        out
    }

    /// Usable V2X reports at `now`; the rest counted.
    fn reports(&mut self, array: &V2xObjectArray, now: i64) -> Vec<Report> {
        self.stats.add(Counter::V2xObjectsReceived, array.objects.len() as u64);
        let p = &self.params;
        let mut out = Vec::with_capacity(array.objects.len());
        for o in &array.objects {
            if o.message_kind == V2xObject::KIND_DENM {
                // An event location, not a road user's state.
                self.stats.increment(Counter::V2xNotARoadUser);
                continue;
            }
            let pose = &o.pose;
            let values = [
                pose.position.x,
                pose.position.y,
                pose.position.z,
                pose.orientation.x,
                pose.orientation.y,
                pose.orientation.z,
                pose.orientation.w,
                o.velocity.x,
                o.velocity.y,
                o.velocity.z,
                o.size.x,
                o.size.y,
                o.size.z,
            ];
            if !(values.iter().all(|v| v.is_finite())
                && o.pose_covariance.0.iter().all(|v| v.is_finite())
                && o.velocity_covariance.iter().all(|v| v.is_finite()))
            {
                self.stats.increment(Counter::V2xNonFinite);
                continue;
            }
            let generated = if o.generation_time != Time::default() {
                o.generation_time.as_nanos()
            } else {
                array.header.stamp.as_nanos() - o.age.as_nanos()
            };
            let dt = (now - generated) as f64 * 1e-9;
            if dt > p.v2x_max_age_s {
                self.stats.increment(Counter::V2xStale);
                continue;
            }
            if dt < -p.v2x_max_future_s {
                self.stats.increment(Counter::V2xFutureDated);
                continue;
            }
            let default_sigma = match o.message_kind {
                V2xObject::KIND_CAM => p.default_sigma_cam_m,
                V2xObject::KIND_BSM => p.default_sigma_bsm_m,
                _ => p.default_sigma_cpm_m,
            };
            let mut defaulted = false;
            let pos_cov = geometry::position_block(&o.pose_covariance.0).unwrap_or_else(|| {
                defaulted = true;
                let mut m = Matrix3::identity() * default_sigma.powi(2);
                m[(2, 2)] = DEFAULT_V2X_Z_VAR;
                m
            });
            let vel_cov = geometry::matrix3(&o.velocity_covariance).unwrap_or_else(|| {
                defaulted = true;
                Matrix3::identity() * p.default_velocity_sigma.powi(2)
            });
            if defaulted {
                self.stats.increment(Counter::V2xDefaultedCovariance);
            }
            let velocity = Vector2::new(o.velocity.x, o.velocity.y);
            let position = Vector2::new(pose.position.x, pose.position.y) + velocity * dt;
            if (p.ego_min_x_m..=p.ego_max_x_m).contains(&position.x)
                && position.y.abs() <= p.ego_half_width_m
            {
                self.stats.increment(Counter::V2xEgo);
                continue;
            }
            let class = geometry::class_of_station_type(o.station_type);
            let size = if o.size.x > 0.0 && o.size.y > 0.0 {
                let default = geometry::default_size(class);
                [o.size.x, o.size.y, if o.size.z > 0.0 { o.size.z } else { default[2] }]
            } else {
                geometry::default_size(class)
            };
            let yaw_var = o.pose_covariance.0[35];
            out.push(Report {
                keys: vec![(o.station_id, o.object_id)],
                senders: vec![o.station_id],
                kind: o.message_kind,
                class,
                position,
                position_cov: geometry::xy(&pos_cov) + geometry::xy(&vel_cov) * (dt * dt),
                z: pose.position.z + o.velocity.z * dt,
                z_var: pos_cov[(2, 2)],
                velocity,
                velocity_cov: geometry::xy(&vel_cov),
                yaw: geometry::yaw_of(&pose.orientation),
                yaw_var: if yaw_var > 0.0 { yaw_var } else { DEFAULT_V2X_YAW_VAR },
                size,
            });
        }
        out
    }

    /// Joins reports of one object from different senders, closest pairs first.
    fn merge_duplicates(&mut self, reports: Vec<Report>) -> Vec<Report> {
        let gate = self.params.gate_chi2;
        let mut pairs = Vec::new();
        for (i, a) in reports.iter().enumerate() {
            for (j, b) in reports.iter().enumerate().skip(i + 1) {
                if a.senders == b.senders
                    || (self.params.class_aware && !classes_compatible(a.class, b.class))
                {
                    continue;
                }
                let s = a.position_cov + b.position_cov;
                if let Some(d2) = within_gate(&(b.position - a.position), &s, gate) {
                    pairs.push((d2, i, j));
                }
            }
        }
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Each report's current group (index into `groups`).
        let mut group_of: Vec<usize> = (0..reports.len()).collect();
        let mut groups: Vec<Option<Report>> = reports.into_iter().map(Some).collect();
        for (_, i, j) in pairs {
            let (gi, gj) = (group_of[i], group_of[j]);
            if gi == gj {
                continue;
            }
            let (Some(a), Some(b)) = (groups[gi].as_ref(), groups[gj].as_ref()) else { continue };
            if a.senders.iter().any(|s| b.senders.contains(s)) {
                continue;
            }
            let merged = merge(a, b);
            self.stats.increment(Counter::V2xDuplicatesMerged);
            groups[gi] = Some(merged);
            groups[gj] = None;
            for g in group_of.iter_mut() {
                if *g == gj {
                    *g = gi;
                }
            }
        }
        groups.into_iter().flatten().collect()
    }

    /// A stable id for a V2X-only object, by its primary sender key.
    fn id_for(&mut self, report: &Report, now: i64) -> u32 {
        // The id its primary key had, else any of its other keys (identity across merges).
        let primary = report.primary_key();
        let known = std::iter::once(&primary)
            .chain(&report.keys)
            .find_map(|k| self.ids.get(k).map(|(id, _)| *id));
        let id = known.unwrap_or_else(|| {
            let id = self.next_id;
            self.next_id = if id == u32::MAX { MAX_TRACK_ID + 1 } else { id + 1 };
            id
        });
        for k in &report.keys {
            self.ids.insert(*k, (id, now));
        }
        id
    }
}

/// The squared Mahalanobis distance if below `gate`. Exact shortcut first: d² >= |y|² / trace(S).
fn within_gate(y: &Vector2<f64>, s: &Matrix2<f64>, gate: f64) -> Option<f64> {
    if y.norm_squared() > gate * s.trace() {
        return None;
    }
    mahalanobis2(y, s).filter(|d2| *d2 < gate)
}

/// (b − a)ᵀ S⁻¹ (b − a), None when S is not positive definite.
fn mahalanobis2(y: &Vector2<f64>, s: &Matrix2<f64>) -> Option<f64> {
    let chol = s.cholesky()?;
    let d2 = y.dot(&chol.solve(y));
    d2.is_finite().then_some(d2)
}

/// Inverse-covariance weighted mean of two estimates; None when a covariance is singular.
fn information_fusion(
    a: &Vector2<f64>,
    pa: &Matrix2<f64>,
    b: &Vector2<f64>,
    pb: &Matrix2<f64>,
) -> Option<(Vector2<f64>, Matrix2<f64>)> {
    let (ia, ib) = (pa.try_inverse()?, pb.try_inverse()?);
    let p = (ia + ib).try_inverse()?;
    let x = p * (ia * a + ib * b);
    (x.iter().all(|v| v.is_finite()) && p.iter().all(|v| v.is_finite())).then_some((x, p))
}

/// Two reports of one object (different senders) as one.
fn merge(a: &Report, b: &Report) -> Report {
    let (position, position_cov) =
        information_fusion(&a.position, &a.position_cov, &b.position, &b.position_cov)
            .unwrap_or((a.position, a.position_cov));
    let (velocity, velocity_cov) =
        information_fusion(&a.velocity, &a.velocity_cov, &b.velocity, &b.velocity_cov)
            .unwrap_or((a.velocity, a.velocity_cov));
    // A station's own message (CAM/BSM) knows its class, size and heading best.
    let own = |r: &Report| r.kind != V2xObject::KIND_CPM_OBJECT;
    let (first, second) = if own(b) && !own(a) { (b, a) } else { (a, b) };
    let mut keys = a.keys.clone();
    keys.extend_from_slice(&b.keys);
    let mut senders = a.senders.clone();
    senders.extend_from_slice(&b.senders);
    Report {
        keys,
        senders,
        kind: first.kind,
        class: if first.class != DetectedObject::CLASS_UNKNOWN {
            first.class
        } else {
            second.class
        },
        position,
        position_cov,
        z: first.z,
        z_var: first.z_var,
        velocity,
        velocity_cov,
        yaw: first.yaw.or(second.yaw),
        yaw_var: first.yaw_var,
        size: first.size,
    }
}

/// A local object and its V2X match as one object.
fn fuse_pair(
    mut o: DetectedObject,
    local_cov: &Matrix2<f64>,
    r: &Report,
    v2x_score: f32,
) -> DetectedObject {
    let p = Vector2::new(o.center.x, o.center.y);
    if let Some((x, cov)) = information_fusion(&p, local_cov, &r.position, &r.position_cov) {
        o.center.x = x.x;
        o.center.y = x.y;
        for (i, j) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            o.pose_covariance.0[6 * i + j] = cov[(i, j)];
        }
    }
    let v = Vector2::new(o.velocity.x, o.velocity.y);
    let local_vel_cov = geometry::matrix3(&o.velocity_covariance).map(|m| geometry::xy(&m));
    if let Some((x, cov)) =
        local_vel_cov.and_then(|lc| information_fusion(&v, &lc, &r.velocity, &r.velocity_cov))
    {
        o.velocity.x = x.x;
        o.velocity.y = x.y;
        for (i, j) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            o.velocity_covariance[3 * i + j] = cov[(i, j)];
        }
    }
    if o.classification == DetectedObject::CLASS_UNKNOWN {
        o.classification = r.class;
    }
    o.modalities |= DetectedObject::MODALITY_V2X;
    o.score = o.score.max(v2x_score);
    o
}

/// A V2X-only object.
fn v2x_object(r: &Report, track_id: u32, score: f32) -> DetectedObject {
    let mut pose_covariance = [0.0; 36];
    for (i, j) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        pose_covariance[6 * i + j] = r.position_cov[(i, j)];
    }
    pose_covariance[14] = r.z_var;
    pose_covariance[35] = r.yaw_var;
    let mut velocity_covariance = [0.0; 9];
    for (i, j) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        velocity_covariance[3 * i + j] = r.velocity_cov[(i, j)];
    }
    velocity_covariance[8] = r.velocity_cov[(0, 0)].max(r.velocity_cov[(1, 1)]);
    let heading = r.yaw.unwrap_or_else(|| r.velocity.y.atan2(r.velocity.x));
    DetectedObject {
        center: Point { x: r.position.x, y: r.position.y, z: r.z },
        size: MsgVector3 { x: r.size[0], y: r.size[1], z: r.size[2] },
        yaw: heading,
        classification: r.class,
        label: String::new(),
        score,
        velocity: MsgVector3 { x: r.velocity.x, y: r.velocity.y, z: 0.0 },
        pose_covariance: Covariance(pose_covariance),
        velocity_covariance,
        track_id,
        modalities: DetectedObject::MODALITY_V2X,
        num_points: 0,
        has_image_box: false,
        image_box: [0.0; 4],
    }
}
