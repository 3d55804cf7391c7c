//! The node core: V2X packets and odometry in, `V2xObjectArray`s in the ego frame out.
//! Transport-free: the adapter calls [`V2xNode::on_packet`] for each `/v2x/packets` message or
//! UDP datagram, [`V2xNode::on_odometry`] for `/localization/odometry`, and publishes what they
//! (or [`V2xNode::objects`]) return.
//!
//! Objects are kept in the `map` frame (ENU at the geodetic origin) and transformed into
//! `output_frame` with the latest ego pose when an array is built, so a snapshot taken later
//! uses the ego pose of that time.
//!
//! Plausibility checks, each with its own counter (see [`crate::stats::names`]): stale and
//! future-dated messages (against `now`), implausible reported speed, replay (a station's
//! generation times going backwards; an equal time is a duplicate), position jumps of a
//! station (farther than `max_speed_mps * dt + max_position_jump_m`), out of range of the ego
//! vehicle. A dropped message does not update the station's history, so a spoofed position
//! does not become the reference for the next check.

use crate::decode::{decode_frame, DecodeError, Input};
use crate::geo::{ellipse_covariance, heading_to_enu_yaw, EgoPose, Geodetic, LocalTangentPlane};
use crate::its_time;
use crate::message::{Bsm, Cam, Cpm, CpmFrame, Decoded, Denm, Message, ReferencePosition};
use crate::params::V2xParams;
use crate::stats::{names, Stats};
use edgefusion_msgs::builtin_interfaces::{Duration, Time};
use edgefusion_msgs::edgefusion::{V2xObject, V2xObjectArray, V2xPacket};
use edgefusion_msgs::geometry_msgs::{Covariance, Point, Pose, Quaternion, Vector3 as MsgVector3};
use edgefusion_msgs::nav_msgs::Odometry;
use edgefusion_msgs::std_msgs::Header;
use nalgebra::{Matrix2, Matrix3, UnitQuaternion, Vector2, Vector3};
use std::collections::{BTreeMap, HashMap};

/// Variance given to components a message does not state (1e4: sigma 100 m, m/s or rad).
pub const UNKNOWN_VARIANCE: f64 = 1.0e4;
/// ETSI confidences are 95 % intervals: one sigma is the half-width / 1.96 in 1-D ...
const ETSI_SCALE_1D: f64 = 1.96;
/// ... and the semi-axis / sqrt(chi2_2(0.95)) for the 2-D position ellipse.
const ETSI_SCALE_2D: f64 = 2.447_746_830_680_816;

/// Why an input produced no output.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum V2xError {
    #[error("packet from {from:?}: unknown encoding {encoding}")]
    UnknownEncoding { from: String, encoding: u8 },
    #[error("packet from {from:?} ({input}): {error}")]
    Decode { from: String, input: &'static str, error: DecodeError },
    #[error("{kind} from station {station_id}: dropped ({reason}): {detail}")]
    Dropped { kind: &'static str, station_id: u32, reason: &'static str, detail: String },
    #[error("no ego pose yet (no /localization/odometry received): cannot place V2X objects")]
    NoEgoPose,
    #[error("odometry: {0}")]
    BadOdometry(String),
}

impl V2xError {
    /// The counter this error was counted under.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::UnknownEncoding { .. } => names::UNKNOWN_ENCODING,
            Self::Decode { error, .. } => decode_counter(error),
            Self::Dropped { reason, .. } => reason,
            Self::NoEgoPose => names::NO_EGO_POSE,
            Self::BadOdometry(_) => names::BAD_ODOMETRY,
        }
    }
}

fn decode_counter(error: &DecodeError) -> &'static str {
    match error.reason() {
        "empty" => "decode_empty",
        "truncated" => "decode_truncated",
        "malformed" => "decode_malformed",
        "unsupported" => "decode_unsupported",
        "secured_unsupported" => "decode_secured_unsupported",
        _ => "decode_internal",
    }
}

/// ETSI station ids and J2735 temporary ids are separate name spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct StationKey {
    j2735: bool,
    id: u32,
}

#[derive(Debug, Clone, Copy)]
struct StationHistory {
    generation_ns: i64,
    position: Option<Vector2<f64>>,
    last_receive_ns: i64,
}

/// A V2X object in the map frame.
#[derive(Debug, Clone)]
struct Track {
    kind: u8,
    station_id: u32,
    object_id: u32,
    station_type: u8,
    position: Vector3<f64>,
    position_cov: Matrix3<f64>,
    yaw: Option<(f64, f64)>,
    velocity: Option<(Vector3<f64>, Matrix3<f64>)>,
    size: Vector3<f64>,
    time_ns: i64,
    expires_ns: i64,
}

/// The V2X node core.
pub struct V2xNode {
    params: V2xParams,
    plane: LocalTangentPlane,
    ego: Option<EgoPose>,
    stations: HashMap<StationKey, StationHistory>,
    objects: BTreeMap<(u8, StationKey, u32), Track>,
    stats: Stats,
}

impl V2xNode {
    /// A node from validated parameters (see [`V2xParams::validate`]).
    pub fn new(params: V2xParams) -> Result<Self, crate::params::ParamsError> {
        params.validate("V2xNode::new")?;
        Ok(Self {
            plane: LocalTangentPlane::new(params.origin),
            params,
            ego: None,
            stations: HashMap::new(),
            objects: BTreeMap::new(),
            stats: Stats::default(),
        })
    }

    pub fn params(&self) -> &V2xParams {
        &self.params
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The ego pose (map -> base_link) from an odometry message.
    pub fn on_odometry(&mut self, odometry: &Odometry) -> Result<(), V2xError> {
        self.stats.count(names::ODOMETRY);
        let result = self.ego_from(odometry);
        match result {
            Ok(ego) => {
                self.ego = Some(ego);
                Ok(())
            }
            Err(e) => {
                self.stats.count(names::BAD_ODOMETRY);
                tracing::warn!("{e}");
                Err(e)
            }
        }
    }

    fn ego_from(&self, odometry: &Odometry) -> Result<EgoPose, V2xError> {
        let frame = &odometry.header.frame_id;
        if !frame.is_empty() && frame != &self.params.map_frame {
            return Err(V2xError::BadOdometry(format!(
                "header.frame_id '{frame}' is not the map frame '{}' (map_frame)",
                self.params.map_frame
            )));
        }
        let child = &odometry.child_frame_id;
        if !child.is_empty() && child != &self.params.output_frame {
            return Err(V2xError::BadOdometry(format!(
                "child_frame_id '{child}' is not the output frame '{}' (output_frame)",
                self.params.output_frame
            )));
        }
        let p = &odometry.pose.pose;
        let t = Vector3::new(p.position.x, p.position.y, p.position.z);
        let q = nalgebra::Quaternion::new(
            p.orientation.w,
            p.orientation.x,
            p.orientation.y,
            p.orientation.z,
        );
        if !t.iter().all(|v| v.is_finite()) || !q.coords.iter().all(|v| v.is_finite()) {
            return Err(V2xError::BadOdometry("pose.pose has non-finite values".into()));
        }
        if q.norm() < 1e-6 {
            return Err(V2xError::BadOdometry("pose.pose.orientation is a zero quaternion".into()));
        }
        Ok(EgoPose { translation: t, rotation: UnitQuaternion::from_quaternion(q) })
    }

    /// One raw V2X frame (a `/v2x/packets` message, or a UDP datagram wrapped by
    /// [`crate::udp::UdpReceiver`]). Returns the objects this packet contributed, in the
    /// output frame, stamped `now`. `packet.header.stamp` is the receive time (`now` if zero).
    pub fn on_packet(&mut self, packet: &V2xPacket, now: Time) -> Result<V2xObjectArray, V2xError> {
        self.stats.count(names::PACKETS);
        let Some(input) = Input::from_encoding(packet.encoding) else {
            let e = V2xError::UnknownEncoding {
                from: packet.source.clone(),
                encoding: packet.encoding,
            };
            return Err(self.reject(e));
        };
        let decoded = decode_frame(&packet.data, input).map_err(|error| V2xError::Decode {
            from: packet.source.clone(),
            input: input.name(),
            error,
        });
        let decoded = match decoded {
            Ok(decoded) => decoded,
            Err(e) => return Err(self.reject(e)),
        };
        let receive =
            if packet.header.stamp == Time::default() { now } else { packet.header.stamp };
        self.on_decoded(&decoded, receive, now)
    }

    /// A message decoded elsewhere (e.g. the CLI or a test), received at `receive`.
    pub fn on_decoded(
        &mut self,
        decoded: &Decoded,
        receive: Time,
        now: Time,
    ) -> Result<V2xObjectArray, V2xError> {
        let counter = match decoded.message {
            Message::Cam(_) => names::CAM,
            Message::Cpm(_) => names::CPM,
            Message::Denm(_) => names::DENM,
            Message::Bsm(_) => names::BSM,
        };
        self.stats.count(counter);
        let Some(ego) = self.ego else { return Err(self.reject(V2xError::NoEgoPose)) };
        self.forget_silent_stations(now.as_nanos());
        let (receive_ns, now_ns) = (receive.as_nanos(), now.as_nanos());
        let tracks = match &decoded.message {
            Message::Cam(cam) => self.cam(cam, receive_ns, now_ns, &ego).map(|t| vec![t]),
            Message::Bsm(bsm) => self.bsm(bsm, receive_ns, now_ns, &ego).map(|t| vec![t]),
            Message::Cpm(cpm) => self.cpm(cpm, receive_ns, now_ns, &ego),
            Message::Denm(denm) => self.denm(denm, now_ns, &ego).map(|t| vec![t]),
        };
        let tracks = match tracks {
            Ok(tracks) => tracks,
            Err(e) => return Err(self.reject(e)),
        };
        let objects: Vec<V2xObject> =
            tracks.iter().map(|t| self.to_message(t, &ego, now_ns)).collect();
        self.stats.add(names::OBJECTS_OUT, objects.len() as u64);
        for track in tracks {
            self.objects.insert((track.kind, key_of(&track), track.object_id), track);
        }
        Ok(V2xObjectArray { header: self.header(now), objects })
    }

    /// Every object still current at `now` (younger than `max_age_s`; DENM events within
    /// their validity), in the output frame with the latest ego pose. Empty without an ego
    /// pose.
    pub fn objects(&mut self, now: Time) -> V2xObjectArray {
        let now_ns = now.as_nanos();
        let before = self.objects.len();
        self.objects.retain(|_, t| t.expires_ns >= now_ns);
        self.stats.add(names::EXPIRED, (before - self.objects.len()) as u64);
        let objects = match self.ego {
            Some(ego) => self.objects.values().map(|t| self.to_message(t, &ego, now_ns)).collect(),
            None => Vec::new(),
        };
        V2xObjectArray { header: self.header(now), objects }
    }

    fn header(&self, now: Time) -> Header {
        Header { stamp: now, frame_id: self.params.output_frame.clone() }
    }

    fn reject(&mut self, e: V2xError) -> V2xError {
        self.stats.count(e.reason());
        tracing::debug!("{e}");
        e
    }

    fn forget_silent_stations(&mut self, now_ns: i64) {
        let timeout = secs_to_ns(self.params.station_timeout_s);
        self.stations.retain(|_, h| now_ns.saturating_sub(h.last_receive_ns) <= timeout);
    }

    /// Stale / future checks of a generation time against `now`.
    fn check_time(
        &self,
        kind: &'static str,
        station_id: u32,
        time_ns: i64,
        now_ns: i64,
    ) -> Result<(), V2xError> {
        let age_s = now_ns.saturating_sub(time_ns) as f64 * 1e-9;
        let dropped = |reason, detail| V2xError::Dropped { kind, station_id, reason, detail };
        if age_s > self.params.max_age_s {
            return Err(dropped(
                names::STALE,
                format!("{age_s:.3} s old (max_age_s {})", self.params.max_age_s),
            ));
        }
        if -age_s > self.params.max_future_s {
            return Err(dropped(
                names::FUTURE,
                format!(
                    "generated {:.3} s in the future (max_future_s {})",
                    -age_s, self.params.max_future_s
                ),
            ));
        }
        Ok(())
    }

    /// Replay, duplicate and position-jump checks of a station; records the message if it
    /// passes.
    fn check_station(
        &mut self,
        kind: &'static str,
        key: StationKey,
        time_ns: i64,
        position: Option<Vector2<f64>>,
        receive_ns: i64,
    ) -> Result<(), V2xError> {
        let dropped =
            |reason, detail| V2xError::Dropped { kind, station_id: key.id, reason, detail };
        if let Some(last) = self.stations.get(&key) {
            let dt_s = time_ns.saturating_sub(last.generation_ns) as f64 * 1e-9;
            if dt_s < 0.0 {
                return Err(dropped(
                    names::REPLAY,
                    format!("generation time {:.3} s before the previous one", -dt_s),
                ));
            }
            if dt_s == 0.0 {
                return Err(dropped(
                    names::DUPLICATE,
                    "same generation time as the previous message".into(),
                ));
            }
            if let (Some(p), Some(q)) = (position, last.position) {
                let moved = (p - q).norm();
                let allowed = self.params.max_speed_mps * dt_s + self.params.max_position_jump_m;
                if moved > allowed {
                    return Err(dropped(
                        names::JUMP,
                        format!("moved {moved:.1} m in {dt_s:.3} s (allowed {allowed:.1} m)"),
                    ));
                }
            }
        }
        self.stations.insert(
            key,
            StationHistory { generation_ns: time_ns, position, last_receive_ns: receive_ns },
        );
        Ok(())
    }

    fn check_speed(&self, kind: &'static str, station_id: u32, speed: f64) -> Result<(), V2xError> {
        if speed > self.params.max_speed_mps {
            return Err(V2xError::Dropped {
                kind,
                station_id,
                reason: names::SPEED,
                detail: format!("{speed:.1} m/s (max_speed_mps {})", self.params.max_speed_mps),
            });
        }
        Ok(())
    }

    fn check_range(
        &self,
        kind: &'static str,
        station_id: u32,
        p: &Vector3<f64>,
        ego: &EgoPose,
    ) -> Result<(), V2xError> {
        let distance = (p.xy() - ego.translation.xy()).norm();
        if distance > self.params.max_range_m {
            return Err(V2xError::Dropped {
                kind,
                station_id,
                reason: names::RANGE,
                detail: format!(
                    "{distance:.0} m from the ego vehicle (max_range_m {})",
                    self.params.max_range_m
                ),
            });
        }
        Ok(())
    }

    /// A reference position in the map frame with its covariance.
    fn place(
        &self,
        kind: &'static str,
        station_id: u32,
        p: &ReferencePosition,
    ) -> Result<(Vector3<f64>, Matrix3<f64>), V2xError> {
        if p.latitude == 900_000_001 || p.longitude == 1_800_000_001 {
            return Err(V2xError::Dropped {
                kind,
                station_id,
                reason: names::NO_POSITION,
                detail: "reference position unavailable".into(),
            });
        }
        let altitude_known = p.altitude != 800_001;
        let geodetic = Geodetic {
            latitude_deg: f64::from(p.latitude) * 1e-7,
            longitude_deg: f64::from(p.longitude) * 1e-7,
            altitude_m: if altitude_known {
                f64::from(p.altitude) * 0.01
            } else {
                self.params.origin.altitude_m
            },
        };
        let fallback = self.params.unavailable_position_sigma_m * ETSI_SCALE_2D;
        let axis = |cm: u16| if cm >= 4094 { fallback } else { f64::from(cm) * 0.01 };
        let orientation = if p.semi_major_orientation > 3600 {
            0.0
        } else {
            f64::from(p.semi_major_orientation) * 0.1
        };
        let ellipse = ellipse_covariance(
            axis(p.semi_major_confidence),
            axis(p.semi_minor_confidence),
            orientation,
            ETSI_SCALE_2D,
        );
        let z_var = altitude_sigma(&p.altitude_confidence)
            .map_or(UNKNOWN_VARIANCE, |s| (s / ETSI_SCALE_1D).powi(2));
        let cov = Matrix3::new(
            ellipse[0][0],
            ellipse[0][1],
            0.0,
            ellipse[1][0],
            ellipse[1][1],
            0.0,
            0.0,
            0.0,
            z_var,
        );
        Ok((self.plane.to_enu(geodetic), cov))
    }

    fn cam(
        &mut self,
        cam: &Cam,
        receive_ns: i64,
        now_ns: i64,
        ego: &EgoPose,
    ) -> Result<Track, V2xError> {
        let id = cam.header.station_id;
        let generation_its = its_time::resolve_generation_delta_time(
            cam.generation_delta_time,
            its_time::its_ms_from_unix_ns(receive_ns),
        );
        let time_ns = its_time::unix_ns_from_its_ms(generation_its);
        self.check_time("CAM", id, time_ns, now_ns)?;
        let (position, position_cov) = self.place("CAM", id, &cam.reference_position)?;
        let yaw = cam.heading.filter(|h| h.value <= 3600).map(|h| {
            (heading_to_enu_yaw(f64::from(h.value) * 0.1), etsi_angle_variance(h.confidence))
        });
        let speed = cam
            .speed
            .filter(|s| s.value < 16_383)
            .map(|s| (f64::from(s.value) * 0.01, etsi_speed_variance(s.confidence)));
        if let Some((speed, _)) = speed {
            self.check_speed("CAM", id, speed)?;
        }
        self.check_range("CAM", id, &position, ego)?;
        self.check_station(
            "CAM",
            StationKey { j2735: false, id },
            time_ns,
            Some(position.xy()),
            receive_ns,
        )?;
        let backward = cam.drive_direction.as_deref() == Some("backward");
        let velocity = match (yaw, speed) {
            (Some((yaw, yaw_var)), Some((speed, speed_var))) => {
                Some(velocity_along(yaw, if backward { -speed } else { speed }, speed_var, yaw_var))
            }
            _ => None,
        };
        let length = cam.vehicle_length.filter(|l| *l < 1023).map_or(0.0, |l| f64::from(l) * 0.1);
        let width = cam.vehicle_width.filter(|w| *w < 62).map_or(0.0, |w| f64::from(w) * 0.1);
        Ok(Track {
            kind: V2xObject::KIND_CAM,
            station_id: id,
            object_id: 0,
            station_type: cam.station_type,
            position,
            position_cov,
            yaw,
            velocity,
            size: Vector3::new(length, width, 0.0),
            time_ns,
            expires_ns: time_ns.saturating_add(secs_to_ns(self.params.max_age_s)),
        })
    }

    fn bsm(
        &mut self,
        bsm: &Bsm,
        receive_ns: i64,
        now_ns: i64,
        ego: &EgoPose,
    ) -> Result<Track, V2xError> {
        let id = bsm.temporary_id();
        let time_ns =
            its_time::resolve_sec_mark(bsm.sec_mark, receive_ns).ok_or(V2xError::Dropped {
                kind: "BSM",
                station_id: id,
                reason: names::NO_TIME,
                detail: format!("secMark {} is not a time", bsm.sec_mark),
            })?;
        self.check_time("BSM", id, time_ns, now_ns)?;
        if bsm.lat == 900_000_001 || bsm.long == 1_800_000_001 {
            return Err(V2xError::Dropped {
                kind: "BSM",
                station_id: id,
                reason: names::NO_POSITION,
                detail: "lat/long unavailable".into(),
            });
        }
        let elevation_known = bsm.elev != -4096;
        let position = self.plane.to_enu(Geodetic {
            latitude_deg: f64::from(bsm.lat) * 1e-7,
            longitude_deg: f64::from(bsm.long) * 1e-7,
            altitude_m: if elevation_known {
                f64::from(bsm.elev) * 0.1
            } else {
                self.params.origin.altitude_m
            },
        });
        // PositionalAccuracy is one sigma in 0.05 m; orientation in 360/65535 degree.
        let fallback = self.params.unavailable_position_sigma_m;
        let axis = |v: u8| if v == 255 { fallback } else { f64::from(v) * 0.05 };
        let orientation = if bsm.accuracy_orientation == 65_535 {
            0.0
        } else {
            f64::from(bsm.accuracy_orientation) * 360.0 / 65_535.0
        };
        let e = ellipse_covariance(
            axis(bsm.accuracy_semi_major),
            axis(bsm.accuracy_semi_minor),
            orientation,
            1.0,
        );
        let z_var = if elevation_known { (2.0 * fallback).powi(2) } else { UNKNOWN_VARIANCE };
        let position_cov =
            Matrix3::new(e[0][0], e[0][1], 0.0, e[1][0], e[1][1], 0.0, 0.0, 0.0, z_var);
        // J2735 states no speed or heading accuracy: a 0.5 m/s and 5 degree sigma is assumed.
        let yaw = (bsm.heading < 28_800).then(|| {
            (heading_to_enu_yaw(f64::from(bsm.heading) * 0.0125), 5f64.to_radians().powi(2))
        });
        let speed = (bsm.speed < 8191).then(|| f64::from(bsm.speed) * 0.02);
        if let Some(speed) = speed {
            self.check_speed("BSM", id, speed)?;
        }
        self.check_range("BSM", id, &position, ego)?;
        self.check_station(
            "BSM",
            StationKey { j2735: true, id },
            time_ns,
            Some(position.xy()),
            receive_ns,
        )?;
        let velocity = match (yaw, speed) {
            (Some((yaw, yaw_var)), Some(speed)) => Some(velocity_along(yaw, speed, 0.25, yaw_var)),
            _ => None,
        };
        Ok(Track {
            kind: V2xObject::KIND_BSM,
            station_id: id,
            object_id: 0,
            station_type: 0,
            position,
            position_cov,
            yaw,
            velocity,
            size: Vector3::new(f64::from(bsm.length) * 0.01, f64::from(bsm.width) * 0.01, 0.0),
            time_ns,
            expires_ns: time_ns.saturating_add(secs_to_ns(self.params.max_age_s)),
        })
    }

    fn cpm(
        &mut self,
        cpm: &Cpm,
        receive_ns: i64,
        now_ns: i64,
        ego: &EgoPose,
    ) -> Result<Vec<Track>, V2xError> {
        let id = cpm.header.station_id;
        let reference_its = match (cpm.reference_time, cpm.generation_delta_time) {
            (Some(t), _) => i64::try_from(t).unwrap_or(i64::MAX / 2_000_000),
            (None, Some(gdt)) => its_time::resolve_generation_delta_time(
                gdt,
                its_time::its_ms_from_unix_ns(receive_ns),
            ),
            (None, None) => {
                return Err(V2xError::Dropped {
                    kind: "CPM",
                    station_id: id,
                    reason: names::NO_TIME,
                    detail: "no reference time".into(),
                })
            }
        };
        let reference_ns = its_time::unix_ns_from_its_ms(reference_its);
        self.check_time("CPM", id, reference_ns, now_ns)?;
        let (sender, sender_cov) = self.place("CPM", id, &cpm.reference_position)?;
        self.check_station(
            "CPM",
            StationKey { j2735: false, id },
            reference_ns,
            Some(sender.xy()),
            receive_ns,
        )?;
        // Rotation from the objects' frame into ENU, and the velocity their speeds are
        // relative to.
        let sender_yaw = cpm
            .sender_heading
            .filter(|h| h.value <= 3600)
            .map(|h| heading_to_enu_yaw(f64::from(h.value) * 0.1));
        let (rotation, base_velocity) = match (cpm.object_frame, sender_yaw) {
            (CpmFrame::EastNorth, _) => (0.0, Vector2::zeros()),
            (CpmFrame::SenderVehicle, Some(yaw)) => {
                let speed = cpm
                    .sender_speed
                    .filter(|s| s.value < 16_383)
                    .map_or(0.0, |s| f64::from(s.value) * 0.01);
                (yaw, Vector2::new(yaw.cos(), yaw.sin()) * speed)
            }
            _ => {
                self.stats.add(names::UNKNOWN_FRAME, cpm.objects.len() as u64);
                return Err(V2xError::Dropped {
                    kind: "CPM",
                    station_id: id,
                    reason: names::UNKNOWN_FRAME,
                    detail: "objects relative to a vehicle whose heading is not in the message"
                        .into(),
                });
            }
        };
        let r = Matrix2::new(rotation.cos(), -rotation.sin(), rotation.sin(), rotation.cos());
        let mut tracks = Vec::with_capacity(cpm.objects.len());
        for (index, o) in cpm.objects.iter().enumerate() {
            let object_id = o.object_id.map_or(index as u32, u32::from);
            let time_ns = reference_ns.saturating_add(i64::from(o.time_of_measurement) * 1_000_000);
            let v2 = cpm.standard == crate::decode::cpm::STANDARD_V2;
            let placed =
                self.cpm_object(o, (&sender, &sender_cov), &r, rotation, &base_velocity, v2);
            let checked = self
                .check_time("CPM object", id, time_ns, now_ns)
                .and_then(|()| {
                    let speed = placed.velocity.as_ref().map_or(0.0, |(v, _)| v.xy().norm());
                    self.check_speed("CPM object", id, speed)
                })
                .and_then(|()| self.check_range("CPM object", id, &placed.position, ego));
            if let Err(e) = checked {
                self.stats.count(e.reason());
                tracing::debug!("object {object_id}: {e}");
                continue;
            }
            tracks.push(Track {
                object_id,
                station_id: id,
                station_type: cpm.station_type.unwrap_or(0),
                time_ns,
                expires_ns: time_ns.saturating_add(secs_to_ns(self.params.max_age_s)),
                ..placed
            });
        }
        Ok(tracks)
    }

    /// A CPM object in the map frame (ids and times are filled in by the caller).
    fn cpm_object(
        &self,
        o: &crate::message::PerceivedObject,
        (sender, sender_cov): (&Vector3<f64>, &Matrix3<f64>),
        r: &Matrix2<f64>,
        rotation: f64,
        base_velocity: &Vector2<f64>,
        v2: bool,
    ) -> Track {
        let fallback_var = (self.params.unavailable_position_sigma_m).powi(2);
        // DistanceConfidence (v1, 101/102 = out of range/unavailable) and CoordinateConfidence
        // (v2, 4095/4096) in cm at 95 %.
        let (oor, unavailable) = if v2 { (4095, 4096) } else { (101, 102) };
        let var = |c: u16| {
            if c == oor || c == unavailable {
                fallback_var
            } else {
                (f64::from(c) * 0.01 / ETSI_SCALE_1D).powi(2)
            }
        };
        let offset =
            r * Vector2::new(f64::from(o.x_distance.value), f64::from(o.y_distance.value)) * 0.01;
        let local =
            Matrix2::new(var(o.x_distance.confidence), 0.0, 0.0, var(o.y_distance.confidence));
        let rotated = r * local * r.transpose();
        let z = o.z_distance.map_or(0.0, |d| f64::from(d.value) * 0.01);
        let mut position_cov = *sender_cov;
        for i in 0..2 {
            for j in 0..2 {
                position_cov[(i, j)] += rotated[(i, j)];
            }
        }
        let velocity = match (o.x_speed, o.y_speed) {
            (Some(x), Some(y)) => {
                let speed_var = |c: u16| {
                    if c >= 126 {
                        UNKNOWN_VARIANCE
                    } else {
                        (f64::from(c) * 0.01 / ETSI_SCALE_1D).powi(2)
                    }
                };
                let v =
                    base_velocity + r * Vector2::new(f64::from(x.value), f64::from(y.value)) * 0.01;
                let local =
                    Matrix2::new(speed_var(x.confidence), 0.0, 0.0, speed_var(y.confidence));
                let c = r * local * r.transpose();
                let cov = Matrix3::new(
                    c[(0, 0)],
                    c[(0, 1)],
                    0.0,
                    c[(1, 0)],
                    c[(1, 1)],
                    0.0,
                    0.0,
                    0.0,
                    UNKNOWN_VARIANCE,
                );
                Some((Vector3::new(v.x, v.y, 0.0), cov))
            }
            _ => None,
        };
        let yaw = o.yaw_angle.filter(|a| a.value <= 3600).map(|a| {
            (f64::from(a.value).to_radians() * 0.1 + rotation, etsi_angle_variance(a.confidence))
        });
        let dim = |d: Option<u16>| d.map_or(0.0, |v| f64::from(v) * 0.1);
        Track {
            kind: V2xObject::KIND_CPM_OBJECT,
            station_id: 0,
            object_id: 0,
            station_type: 0,
            position: Vector3::new(sender.x + offset.x, sender.y + offset.y, sender.z + z),
            position_cov,
            yaw,
            velocity,
            size: Vector3::new(dim(o.dimension_x), dim(o.dimension_y), dim(o.dimension_z)),
            time_ns: 0,
            expires_ns: 0,
        }
    }

    fn denm(&mut self, denm: &Denm, now_ns: i64, ego: &EgoPose) -> Result<Track, V2xError> {
        let id = denm.originating_station_id;
        let dropped =
            |reason, detail| V2xError::Dropped { kind: "DENM", station_id: id, reason, detail };
        let reference_ns = its_time::unix_ns_from_its_ms(
            i64::try_from(denm.reference_time).unwrap_or(i64::MAX / 2_000_000),
        );
        let detection_ns = its_time::unix_ns_from_its_ms(
            i64::try_from(denm.detection_time).unwrap_or(i64::MAX / 2_000_000),
        );
        // A DENM is repeated unchanged while its event lasts: it is stale after its validity.
        let expires_ns =
            reference_ns.saturating_add(i64::from(denm.validity_duration) * 1_000_000_000);
        if expires_ns < now_ns {
            return Err(dropped(
                names::STALE,
                format!(
                    "validity ended {:.1} s ago",
                    now_ns.saturating_sub(expires_ns) as f64 * 1e-9
                ),
            ));
        }
        let future_s = detection_ns.max(reference_ns).saturating_sub(now_ns) as f64 * 1e-9;
        if future_s > self.params.max_future_s {
            return Err(dropped(names::FUTURE, format!("{future_s:.3} s in the future")));
        }
        let key = (
            V2xObject::KIND_DENM,
            StationKey { j2735: false, id },
            u32::from(denm.sequence_number),
        );
        if let Some(previous) = self.objects.get(&key) {
            if previous.time_ns > reference_ns {
                return Err(dropped(
                    names::REPLAY,
                    "reference time older than the event's last update".into(),
                ));
            }
        }
        let (position, position_cov) = self.place("DENM", id, &denm.event_position)?;
        self.check_range("DENM", id, &position, ego)?;
        Ok(Track {
            kind: V2xObject::KIND_DENM,
            station_id: id,
            object_id: u32::from(denm.sequence_number),
            station_type: denm.station_type,
            position,
            position_cov,
            yaw: None,
            velocity: None,
            size: Vector3::zeros(),
            time_ns: reference_ns,
            expires_ns,
        })
    }

    fn to_message(&self, t: &Track, ego: &EgoPose, now_ns: i64) -> V2xObject {
        let p = ego.point_to_base(&t.position);
        let (yaw, yaw_var) = t.yaw.unwrap_or((0.0, UNKNOWN_VARIANCE));
        let q = ego.rotation_to_base(&UnitQuaternion::from_euler_angles(0.0, 0.0, yaw));
        let pc = ego.covariance_to_base(&t.position_cov);
        let mut pose_covariance = [0.0; 36];
        for i in 0..3 {
            for j in 0..3 {
                pose_covariance[i * 6 + j] = pc[(i, j)];
            }
        }
        pose_covariance[3 * 6 + 3] = UNKNOWN_VARIANCE;
        pose_covariance[4 * 6 + 4] = UNKNOWN_VARIANCE;
        pose_covariance[5 * 6 + 5] = yaw_var;
        let (velocity, velocity_cov) = match &t.velocity {
            Some((v, c)) => (ego.vector_to_base(v), ego.covariance_to_base(c)),
            None => (Vector3::zeros(), Matrix3::from_diagonal_element(UNKNOWN_VARIANCE)),
        };
        let mut velocity_covariance = [0.0; 9];
        for i in 0..3 {
            for j in 0..3 {
                velocity_covariance[i * 3 + j] = velocity_cov[(i, j)];
            }
        }
        V2xObject {
            message_kind: t.kind,
            station_id: t.station_id,
            object_id: t.object_id,
            station_type: t.station_type,
            pose: Pose {
                position: Point { x: p.x, y: p.y, z: p.z },
                orientation: Quaternion { x: q.i, y: q.j, z: q.k, w: q.w },
            },
            size: MsgVector3 { x: t.size.x, y: t.size.y, z: t.size.z },
            velocity: MsgVector3 { x: velocity.x, y: velocity.y, z: velocity.z },
            pose_covariance: Covariance(pose_covariance),
            velocity_covariance,
            generation_time: Time::from_nanos(t.time_ns),
            age: Duration::from_nanos(now_ns.saturating_sub(t.time_ns)),
        }
    }
}

fn key_of(t: &Track) -> StationKey {
    StationKey { j2735: t.kind == V2xObject::KIND_BSM, id: t.station_id }
}

fn secs_to_ns(s: f64) -> i64 {
    (s * 1e9) as i64
}

/// Variance (rad^2) of an ETSI heading/angle confidence in 0.1 degree at 95 %
/// (126 out of range / 127 unavailable: unknown).
fn etsi_angle_variance(confidence: u16) -> f64 {
    if confidence >= 126 || confidence == 0 {
        UNKNOWN_VARIANCE
    } else {
        (f64::from(confidence) * 0.1 / ETSI_SCALE_1D).to_radians().powi(2)
    }
}

/// Variance ((m/s)^2) of an ETSI SpeedConfidence in 0.01 m/s at 95 %.
fn etsi_speed_variance(confidence: u16) -> f64 {
    if confidence >= 126 || confidence == 0 {
        UNKNOWN_VARIANCE
    } else {
        (f64::from(confidence) * 0.01 / ETSI_SCALE_1D).powi(2)
    }
}

/// Velocity along an ENU yaw with its covariance: speed variance along the heading, heading
/// variance times speed squared across it.
fn velocity_along(
    yaw: f64,
    speed: f64,
    speed_var: f64,
    yaw_var: f64,
) -> (Vector3<f64>, Matrix3<f64>) {
    let (s, c) = (yaw.sin(), yaw.cos());
    let across = (speed * speed * yaw_var).min(UNKNOWN_VARIANCE);
    let along = speed_var.min(UNKNOWN_VARIANCE);
    let cov = Matrix3::new(
        along * c * c + across * s * s,
        (along - across) * s * c,
        0.0,
        (along - across) * s * c,
        along * s * s + across * c * c,
        0.0,
        0.0,
        0.0,
        UNKNOWN_VARIANCE,
    );
    (Vector3::new(speed * c, speed * s, 0.0), cov)
}

/// `alt-020-00` -> 20.0 m; None for `unavailable`.
fn altitude_sigma(name: &str) -> Option<f64> {
    let rest = name.strip_prefix("alt-")?;
    let (m, cm) = rest.split_once('-')?;
    Some(m.parse::<f64>().ok()? + cm.parse::<f64>().ok()? * 0.01)
}
