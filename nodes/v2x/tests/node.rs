//! The node core on messages we encode ourselves: placement in base_link, ages, covariances,
//! and every drop reason with its counter.

use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::edgefusion::{V2xObject, V2xObjectArray, V2xPacket};
use edgefusion_msgs::nav_msgs::Odometry;
use edgefusion_msgs::std_msgs::Header;
use edgefusion_v2x::decode::{Input, PayloadKind};
use edgefusion_v2x::geo::Geodetic;
use edgefusion_v2x::samples::{self, SampleObject, Sender};
use edgefusion_v2x::stats::names;
use edgefusion_v2x::{V2xError, V2xNode, V2xParams};

const LAT0: f64 = 52.4626;
const LON0: f64 = 10.7219;
/// 2023-11-14T22:13:20Z.
const NOW_UNIX_MS: i64 = 1_700_000_000_000;

// WGS84 radii of curvature at LAT0, written out here so the expectations do not come from the
// code under test.
fn meridian_radius() -> f64 {
    let (a, f) = (6_378_137.0_f64, 1.0 / 298.257_223_563);
    let e2 = f * (2.0 - f);
    a * (1.0 - e2) / (1.0 - e2 * LAT0.to_radians().sin().powi(2)).powf(1.5)
}

fn normal_radius() -> f64 {
    let (a, f) = (6_378_137.0_f64, 1.0 / 298.257_223_563);
    let e2 = f * (2.0 - f);
    a / (1.0 - e2 * LAT0.to_radians().sin().powi(2)).sqrt()
}

/// (lat, lon) in 1e-7 degree of a point `east`, `north` metres from the origin.
fn at(east: f64, north: f64) -> (i32, i32) {
    let lat = LAT0 + (north / meridian_radius()).to_degrees();
    let lon = LON0 + (east / (normal_radius() * LAT0.to_radians().cos())).to_degrees();
    ((lat * 1e7).round() as i32, (lon * 1e7).round() as i32)
}

/// TimestampIts of a Unix time: ms since 2004-01-01 plus the 5 leap seconds since.
fn its_ms(unix_ms: i64) -> i64 {
    unix_ms - 1_072_915_200_000 + 5_000
}

fn time(unix_ms: i64) -> Time {
    Time::from_nanos(unix_ms * 1_000_000)
}

fn sender(id: u32, east: f64, north: f64, heading: u16, speed: u16, age_ms: i64) -> Sender {
    let (latitude, longitude) = at(east, north);
    Sender {
        station_id: id,
        latitude,
        longitude,
        heading,
        speed,
        its_ms: its_ms(NOW_UNIX_MS - age_ms),
    }
}

fn params() -> V2xParams {
    V2xParams {
        origin: Geodetic { latitude_deg: LAT0, longitude_deg: LON0, altitude_m: 120.0 },
        ..V2xParams::default()
    }
}

/// A node with the ego vehicle at the map origin facing north (yaw 90 degrees).
fn node() -> V2xNode {
    let mut node = V2xNode::new(params()).unwrap();
    node.on_odometry(&ego(0.0, 0.0, 90f64.to_radians())).unwrap();
    node
}

fn ego(x: f64, y: f64, yaw: f64) -> Odometry {
    let mut odometry = Odometry {
        header: Header { stamp: time(NOW_UNIX_MS), frame_id: "map".into() },
        child_frame_id: "base_link".into(),
        ..Odometry::default()
    };
    odometry.pose.pose.position.x = x;
    odometry.pose.pose.position.y = y;
    odometry.pose.pose.orientation.z = (yaw / 2.0).sin();
    odometry.pose.pose.orientation.w = (yaw / 2.0).cos();
    odometry
}

fn packet(input: Input, data: Vec<u8>) -> V2xPacket {
    V2xPacket {
        header: Header { stamp: time(NOW_UNIX_MS), frame_id: String::new() },
        encoding: input.encoding(),
        source: "test".into(),
        data,
    }
}

fn cam_packet(s: &Sender) -> V2xPacket {
    packet(Input::Uper(PayloadKind::Cam), samples::cam(s))
}

fn one(result: Result<V2xObjectArray, V2xError>) -> V2xObject {
    let array = result.unwrap();
    assert_eq!(array.header.frame_id, "base_link");
    assert_eq!(array.header.stamp, time(NOW_UNIX_MS));
    assert_eq!(array.objects.len(), 1, "{array:?}");
    array.objects[0].clone()
}

fn yaw_of(o: &V2xObject) -> f64 {
    let q = &o.pose.orientation;
    2.0 * q.z.atan2(q.w)
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

#[test]
fn cam_ahead_of_a_north_facing_ego_vehicle() {
    let mut node = node();
    // 30 m north, heading north, 10 m/s, generated 100 ms ago.
    let o =
        one(node.on_packet(&cam_packet(&sender(42, 0.0, 30.0, 0, 1000, 100)), time(NOW_UNIX_MS)));
    assert_eq!((o.message_kind, o.station_id, o.station_type), (V2xObject::KIND_CAM, 42, 5));
    assert!(
        close(o.pose.position.x, 30.0, 0.02) && close(o.pose.position.y, 0.0, 0.02),
        "{:?}",
        o.pose
    );
    assert!(close(yaw_of(&o), 0.0, 1e-6), "heading north = straight ahead");
    assert!(close(o.velocity.x, 10.0, 1e-9) && close(o.velocity.y, 0.0, 1e-9));
    assert_eq!(o.age.as_nanos(), 100_000_000);
    assert_eq!(o.generation_time, time(NOW_UNIX_MS - 100));
    assert!(close(o.size.x, 4.5, 1e-9) && close(o.size.y, 1.8, 1e-9));
    // Ellipse 1.5 m x 1.0 m (95 %) with the major axis north = along x of the ego.
    let c = &o.pose_covariance.0;
    assert!(close(c[0], (1.5f64 / 2.4477).powi(2), 1e-4), "{}", c[0]);
    assert!(close(c[7], (1.0f64 / 2.4477).powi(2), 1e-4), "{}", c[7]);
    assert!(close(c[1], 0.0, 1e-9));
    // Heading confidence 1.0 degree at 95 %.
    assert!(close(c[35], (1.0f64 / 1.96).to_radians().powi(2), 1e-9));
    // Speed confidence 0.2 m/s along x; across, speed^2 * heading variance.
    assert!(close(o.velocity_covariance[0], (0.2f64 / 1.96).powi(2), 1e-9));
    assert!(close(o.velocity_covariance[4], 100.0 * (1.0f64 / 1.96).to_radians().powi(2), 1e-9));
    assert_eq!(node.stats().get(names::CAM), 1);
    assert_eq!(node.stats().get(names::OBJECTS_OUT), 1);
}

#[test]
fn ego_pose_moves_and_turns_the_objects() {
    let mut node = node();
    // Ego 10 m east of the origin, facing west: a station 20 m east of the origin is 10 m
    // behind it.
    node.on_odometry(&ego(10.0, 0.0, 180f64.to_radians())).unwrap();
    let o =
        one(node.on_packet(&cam_packet(&sender(1, 20.0, 0.0, 900, 500, 50)), time(NOW_UNIX_MS)));
    assert!(
        close(o.pose.position.x, -10.0, 0.02) && close(o.pose.position.y, 0.0, 0.02),
        "{:?}",
        o.pose
    );
    // Heading east while the ego faces west: yaw pi, moving backwards in base_link.
    assert!(close(yaw_of(&o).abs(), std::f64::consts::PI, 1e-6));
    assert!(close(o.velocity.x, -5.0, 1e-9));
}

fn dropped(result: Result<V2xObjectArray, V2xError>) -> &'static str {
    match result {
        Err(V2xError::Dropped { reason, .. }) => reason,
        other => panic!("expected a drop, got {other:?}"),
    }
}

#[test]
fn stale_and_future_dated_messages_are_dropped() {
    let mut node = node();
    let now = time(NOW_UNIX_MS);
    assert_eq!(
        dropped(node.on_packet(&cam_packet(&sender(1, 0.0, 30.0, 0, 0, 1500)), now)),
        names::STALE
    );
    assert_eq!(
        dropped(node.on_packet(&cam_packet(&sender(1, 0.0, 30.0, 0, 0, -500)), now)),
        names::FUTURE
    );
    // Within max_future_s (0.2 s) of clock offset is accepted.
    one(node.on_packet(&cam_packet(&sender(1, 0.0, 30.0, 0, 0, -100)), now));
    assert_eq!(node.stats().get(names::STALE), 1);
    assert_eq!(node.stats().get(names::FUTURE), 1);
}

#[test]
fn replayed_duplicated_and_jumping_stations_are_dropped() {
    let mut node = node();
    let now = time(NOW_UNIX_MS);
    one(node.on_packet(&cam_packet(&sender(7, 0.0, 30.0, 0, 1000, 300)), now));
    // Same generation time again: duplicate; older: replay (timestamps going backwards).
    assert_eq!(
        dropped(node.on_packet(&cam_packet(&sender(7, 0.0, 30.0, 0, 1000, 300)), now)),
        names::DUPLICATE
    );
    assert_eq!(
        dropped(node.on_packet(&cam_packet(&sender(7, 0.0, 29.0, 0, 1000, 500)), now)),
        names::REPLAY
    );
    // 100 m further 0.1 s later: spoofed.
    assert_eq!(
        dropped(node.on_packet(&cam_packet(&sender(7, 0.0, 130.0, 0, 1000, 200)), now)),
        names::JUMP
    );
    // The spoofed position did not become the reference: 1 m on, 0.2 s later is fine.
    one(node.on_packet(&cam_packet(&sender(7, 0.0, 31.0, 0, 1000, 100)), now));
    // Another station is independent.
    one(node.on_packet(&cam_packet(&sender(8, 0.0, 130.0, 0, 1000, 200)), now));
    for (name, n) in
        [(names::DUPLICATE, 1), (names::REPLAY, 1), (names::JUMP, 1), (names::OBJECTS_OUT, 3)]
    {
        assert_eq!(node.stats().get(name), n, "{name}");
    }
}

#[test]
fn implausible_speed_and_out_of_range_are_dropped() {
    let mut node = node();
    let now = time(NOW_UNIX_MS);
    assert_eq!(
        dropped(node.on_packet(&cam_packet(&sender(3, 0.0, 30.0, 0, 9000, 100)), now)),
        names::SPEED
    );
    assert_eq!(
        dropped(node.on_packet(&cam_packet(&sender(4, 0.0, 800.0, 0, 1000, 100)), now)),
        names::RANGE
    );
    assert_eq!(node.stats().get(names::SPEED), 1);
    assert_eq!(node.stats().get(names::RANGE), 1);
}

#[test]
fn without_odometry_there_is_no_ego_frame() {
    let mut node = V2xNode::new(params()).unwrap();
    let result = node.on_packet(&cam_packet(&sender(1, 0.0, 30.0, 0, 0, 100)), time(NOW_UNIX_MS));
    assert_eq!(result.unwrap_err(), V2xError::NoEgoPose);
    assert_eq!(node.stats().get(names::NO_EGO_POSE), 1);
    let mut bad = ego(0.0, 0.0, 0.0);
    bad.header.frame_id = "odom".into();
    assert!(matches!(node.on_odometry(&bad), Err(V2xError::BadOdometry(m)) if m.contains("odom")));
    bad.header.frame_id = "map".into();
    bad.pose.pose.orientation.w = 0.0;
    assert!(node.on_odometry(&bad).is_err());
    assert_eq!(node.stats().get(names::BAD_ODOMETRY), 2);
}

#[test]
fn bad_packets_are_counted_by_reason() {
    let mut node = node();
    let now = time(NOW_UNIX_MS);
    let mut garbage = packet(Input::GeoNetworking, vec![0x11, 0x00, 0x1a]);
    assert!(matches!(node.on_packet(&garbage, now), Err(V2xError::Decode { .. })));
    garbage.encoding = 99;
    assert!(matches!(
        node.on_packet(&garbage, now),
        Err(V2xError::UnknownEncoding { encoding: 99, .. })
    ));
    let truncated = samples::cam(&sender(1, 0.0, 30.0, 0, 0, 100));
    let short = packet(Input::Uper(PayloadKind::Cam), truncated[..truncated.len() / 2].to_vec());
    let e = node.on_packet(&short, now).unwrap_err();
    assert!(e.to_string().contains("CAM"), "{e}");
    assert_eq!(node.stats().get(names::UNKNOWN_ENCODING), 1);
    let decode_errors: u64 =
        node.stats().iter().filter(|(k, _)| k.starts_with("decode_")).map(|(_, v)| v).sum();
    assert_eq!(decode_errors, 2, "{}", node.stats());
}

#[test]
fn cam_in_a_geonetworking_frame() {
    let mut node = node();
    let s = sender(99, 0.0, 50.0, 0, 1000, 100);
    let frame = samples::geonetworking_shb(&s, 2001, &samples::cam(&s));
    let o = one(node.on_packet(&packet(Input::GeoNetworking, frame.clone()), time(NOW_UNIX_MS)));
    assert_eq!(o.station_id, 99);
    assert!(close(o.pose.position.x, 50.0, 0.02));
    // The same bytes after the 40-byte GeoNetworking headers are a BTP packet.
    let mut fresh = self::node();
    let o = one(fresh.on_packet(&packet(Input::Btp, frame[40..].to_vec()), time(NOW_UNIX_MS)));
    assert_eq!(o.station_id, 99);
}

#[test]
fn cpm_v1_objects_from_a_vehicle_frame() {
    let mut node = node();
    // Sender at the origin heading east at 5 m/s; object 10 m ahead of it, 2 m to its left,
    // moving 1 m/s faster than it.
    let s = sender(500, 0.0, 0.0, 900, 500, 100);
    let object = SampleObject { id: 3, x_cm: 1000, y_cm: 200, vx_cms: 100, vy_cms: 0 };
    let array = node
        .on_packet(
            &packet(Input::Uper(PayloadKind::Cpm), samples::cpm_v1(&s, &[object])),
            time(NOW_UNIX_MS),
        )
        .unwrap();
    assert_eq!(array.objects.len(), 1);
    let o = &array.objects[0];
    assert_eq!((o.message_kind, o.station_id, o.object_id), (V2xObject::KIND_CPM_OBJECT, 500, 3));
    // ENU (10 east, 2 north) seen from the north-facing ego: x 2, y -10.
    assert!(
        close(o.pose.position.x, 2.0, 0.02) && close(o.pose.position.y, -10.0, 0.02),
        "{:?}",
        o.pose
    );
    // Ground velocity 6 m/s east = -6 along the ego's y.
    assert!(close(o.velocity.x, 0.0, 1e-6) && close(o.velocity.y, -6.0, 1e-6), "{:?}", o.velocity);
    // Measured 20 ms before the reference time.
    assert_eq!(o.age.as_nanos(), 120_000_000);
    assert!(close(o.size.x, 4.5, 1e-9));
}

#[test]
fn cpm_v2_objects_east_north_of_the_sender() {
    let mut node = node();
    let s = sender(600, 0.0, 5.0, 0, 0, 100);
    let objects = [
        SampleObject { id: 1, x_cm: 1000, y_cm: 2000, vx_cms: 0, vy_cms: 300 },
        SampleObject { id: 2, x_cm: 90_000, y_cm: 0, vx_cms: 0, vy_cms: 0 }, // 900 m: out of range
    ];
    let array = node
        .on_packet(
            &packet(Input::Uper(PayloadKind::Cpm), samples::cpm_v2(&s, &objects)),
            time(NOW_UNIX_MS),
        )
        .unwrap();
    assert_eq!(array.objects.len(), 1);
    let o = &array.objects[0];
    assert_eq!(o.object_id, 1);
    assert!(
        close(o.pose.position.x, 25.0, 0.02) && close(o.pose.position.y, -10.0, 0.02),
        "{:?}",
        o.pose
    );
    assert!(close(o.velocity.x, 3.0, 1e-6) && close(o.velocity.y, 0.0, 1e-6));
    assert_eq!(node.stats().get(names::RANGE), 1);
}

#[test]
fn bsm_with_sec_mark() {
    let mut node = node();
    let (lat, lon) = at(0.0, 40.0);
    let sec_mark = ((NOW_UNIX_MS - 250) % 60_000) as u16;
    // 5 m/s heading north (speed in 0.02 m/s, heading in 0.0125 degree).
    let data = samples::bsm(0xBEA1_0000, sec_mark, lat, lon, 250, 0);
    let o = one(node.on_packet(&packet(Input::Uper(PayloadKind::Bsm), data), time(NOW_UNIX_MS)));
    assert_eq!((o.message_kind, o.station_id), (V2xObject::KIND_BSM, 0xBEA1_0000));
    assert!(close(o.pose.position.x, 40.0, 0.02), "{:?}", o.pose);
    assert!(close(o.velocity.x, 5.0, 1e-9));
    assert_eq!(o.age.as_nanos(), 250_000_000);
    // PositionalAccuracy: one sigma 2.0 m (major, along north) and 1.0 m.
    assert!(close(o.pose_covariance.0[0], 4.0, 1e-6) && close(o.pose_covariance.0[7], 1.0, 1e-6));
    assert!(close(o.size.x, 4.5, 1e-9) && close(o.size.y, 1.8, 1e-9));
}

#[test]
fn denm_stays_valid_for_its_duration() {
    let mut node = node();
    let s = sender(77, 0.0, 60.0, 0, 0, 5_000); // detected 5 s ago, valid 60 s
    let denm = packet(Input::Uper(PayloadKind::Denm), samples::denm_v2(&s, 4));
    let o = one(node.on_packet(&denm, time(NOW_UNIX_MS)));
    assert_eq!((o.message_kind, o.station_id, o.object_id), (V2xObject::KIND_DENM, 77, 4));
    assert!(close(o.pose.position.x, 60.0, 0.02));
    // A repetition is accepted; after the validity it is stale.
    one(node.on_packet(&denm, time(NOW_UNIX_MS)));
    assert_eq!(dropped(node.on_packet(&denm, time(NOW_UNIX_MS + 60_000))), names::STALE);
}

#[test]
fn snapshot_expires_objects() {
    let mut node = node();
    one(node.on_packet(&cam_packet(&sender(1, 0.0, 30.0, 0, 0, 100)), time(NOW_UNIX_MS)));
    let snapshot = node.objects(time(NOW_UNIX_MS + 500));
    assert_eq!(snapshot.objects.len(), 1);
    assert_eq!(snapshot.objects[0].age.as_nanos(), 600_000_000);
    // The ego drove 10 m north: the object is 10 m closer.
    node.on_odometry(&ego(0.0, 10.0, 90f64.to_radians())).unwrap();
    let snapshot = node.objects(time(NOW_UNIX_MS + 500));
    assert!(close(snapshot.objects[0].pose.position.x, 20.0, 0.02));
    assert!(node.objects(time(NOW_UNIX_MS + 1_000)).objects.is_empty());
    assert_eq!(node.stats().get(names::EXPIRED), 1);
}
