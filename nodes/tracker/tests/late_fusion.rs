//! Late fusion behaviour on scenarios built here: local objects from the tracker (or built as
//! the tracker publishes them) and V2X reports with seeded GNSS-like noise, in base_link.

mod common;

use common::*;
use edgefusion_msgs::builtin_interfaces::{Duration, Time};
use edgefusion_msgs::edgefusion::{DetectedObject, DetectedObjectArray, V2xObject, V2xObjectArray};
use edgefusion_msgs::geometry_msgs::{Covariance, Point, Pose, Quaternion, Vector3};
use edgefusion_msgs::std_msgs::Header;
use edgefusion_tracker::tracker::MAX_TRACK_ID;
use edgefusion_tracker::{
    Counter, LateFusion, LateFusionError, LateFusionParams, Tracker, TrackerParams,
};

const CAR: u8 = DetectedObject::CLASS_CAR;
const V2X: u8 = DetectedObject::MODALITY_V2X;
const LOCAL: u8 = DetectedObject::MODALITY_CAMERA | DetectedObject::MODALITY_LIDAR;
const PASSENGER_CAR: u8 = 5;

fn fusion() -> LateFusion {
    LateFusion::new(LateFusionParams::default(), "base_link").unwrap()
}

/// A V2X report generated at `generated`, position σ `sigma` (declared in its covariance).
fn report(kind: u8, station: u32, object: u32, xy: [f64; 2], v: [f64; 2], sigma: f64) -> V2xObject {
    let yaw = v[1].atan2(v[0]);
    let mut cov = [0.0; 36];
    cov[0] = sigma * sigma;
    cov[7] = sigma * sigma;
    cov[14] = 4.0;
    cov[21] = 0.01;
    cov[28] = 0.01;
    cov[35] = 0.05;
    V2xObject {
        message_kind: kind,
        station_id: station,
        object_id: object,
        station_type: PASSENGER_CAR,
        pose: Pose {
            position: Point { x: xy[0], y: xy[1], z: 0.8 },
            orientation: Quaternion { x: 0.0, y: 0.0, z: (yaw / 2.0).sin(), w: (yaw / 2.0).cos() },
        },
        size: Vector3 { x: 4.6, y: 1.9, z: 1.5 },
        velocity: Vector3 { x: v[0], y: v[1], z: 0.0 },
        pose_covariance: Covariance(cov),
        velocity_covariance: [0.25, 0.0, 0.0, 0.0, 0.25, 0.0, 0.0, 0.0, 0.25],
        generation_time: Time::default(),
        age: Duration::default(),
    }
}

/// Reports generated at frame k's stamp (age 0).
fn v2x_array(k: i64, mut objects: Vec<V2xObject>) -> V2xObjectArray {
    for o in &mut objects {
        if o.generation_time == Time::default() {
            o.generation_time = stamp(k);
        }
    }
    V2xObjectArray { header: Header { stamp: stamp(k), frame_id: "base_link".into() }, objects }
}

/// An object as the tracker publishes it: id, velocity and a settled covariance.
fn tracked(id: u32, xy: [f64; 2], v: [f64; 2]) -> DetectedObject {
    let mut o = detection(xy[0], xy[1], CAR, 0.25);
    o.track_id = id;
    o.velocity = Vector3 { x: v[0], y: v[1], z: 0.0 };
    o.velocity_covariance = [0.3, 0.0, 0.0, 0.0, 0.3, 0.0, 0.0, 0.0, 0.3];
    o
}

fn near(objects: &[DetectedObject], xy: [f64; 2], max: f64) -> Vec<&DetectedObject> {
    objects.iter().filter(|o| (o.center.x - xy[0]).hypot(o.center.y - xy[1]) <= max).collect()
}

#[test]
fn a_v2x_report_of_a_tracked_car_makes_one_object_with_both_modalities() {
    let car = [Target { start: [20.0, 4.0], velocity: [8.0, 0.0], class: CAR }];
    let mut tracker = Tracker::new(TrackerParams::default()).unwrap();
    let mut fusion = fusion();
    let mut noise = Noise::new(21);
    let mut ids = Vec::new();
    for k in 0..30 {
        let local = tracker.update(&array(k, observe(&car, k, 0.2, &mut noise))).unwrap();
        // The car's own CAM: its GNSS position, σ 1.5 m.
        let [x, y] = car[0].at(k as f64 * 0.1);
        let cam = report(
            V2xObject::KIND_CAM,
            100,
            0,
            [x + 1.5 * noise.normal(), y + 1.5 * noise.normal()],
            [8.0, 0.0],
            1.5,
        );
        let out = fusion.fuse(&local, Some(&v2x_array(k, vec![cam]))).unwrap();
        if local.objects.is_empty() {
            // Not confirmed yet: the CAM alone.
            assert_eq!(out.objects.len(), 1);
            assert_eq!(out.objects[0].modalities, V2X);
            continue;
        }
        assert_eq!(out.objects.len(), 1, "frame {k}: {:?}", out.objects);
        let (o, l) = (&out.objects[0], &local.objects[0]);
        assert_eq!(o.modalities, LOCAL | V2X);
        assert_eq!(o.track_id, l.track_id);
        ids.push(o.track_id);
        // Fused: tighter than the local box alone, and on the car.
        assert!(o.pose_covariance.0[0] < l.pose_covariance.0[0]);
        assert!((o.center.x - x).hypot(o.center.y - y) < 0.6);
        assert!(all_finite(o));
    }
    ids.dedup();
    assert_eq!(ids.len(), 1);
    assert!(fusion.stats().get(Counter::V2xMatched) >= 25);
}

#[test]
fn v2x_only_objects_are_kept_with_their_own_uncertainty_and_a_stable_id() {
    let mut fusion = fusion();
    let local = DetectedObjectArray {
        header: Header { stamp: stamp(0), frame_id: "base_link".into() },
        objects: vec![tracked(1, [10.0, 0.0], [0.0, 0.0])],
    };
    let mut ids = Vec::new();
    for k in 0..5 {
        let mut local = local.clone();
        local.header.stamp = stamp(k);
        // 120 m ahead: beyond the sensors, only its CAM tells.
        let cam = report(V2xObject::KIND_CAM, 555, 0, [120.0 + k as f64, -3.5], [10.0, 0.0], 2.0);
        let out = fusion.fuse(&local, Some(&v2x_array(k, vec![cam]))).unwrap();
        assert_eq!(out.objects.len(), 2);
        let far = near(&out.objects, [120.0 + k as f64, -3.5], 0.01);
        assert_eq!(far.len(), 1);
        let o = far[0];
        assert_eq!(o.modalities, V2X);
        assert!(o.track_id > MAX_TRACK_ID);
        assert_eq!(o.pose_covariance.0[0], 4.0); // its own σ 2 m, age 0
        assert_eq!(o.classification, CAR);
        assert_eq!((o.size.x, o.size.y), (4.6, 1.9));
        ids.push(o.track_id);
        // The local object passes unchanged.
        assert_eq!(near(&out.objects, [10.0, 0.0], 0.01)[0].modalities, LOCAL);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1);
    assert_eq!(fusion.stats().get(Counter::V2xOnly), 5);
}

#[test]
fn a_cam_and_another_stations_cpm_of_one_vehicle_become_one_object() {
    let mut fusion = fusion();
    let empty = array(0, vec![]);
    let truth = [40.0, 6.0];
    let mut noise = Noise::new(5);
    let mut jitter = |s: f64| [truth[0] + s * noise.normal(), truth[1] + s * noise.normal()];
    let cam = report(V2xObject::KIND_CAM, 100, 0, jitter(1.5), [5.0, 0.0], 1.5);
    // Station 200 perceives station 100 (its object 7) and, 2.5 m beside it (inside the gate),
    // a second car (object 8): one sender's objects are distinct and must not merge.
    let cpm7 = report(V2xObject::KIND_CPM_OBJECT, 200, 7, jitter(1.0), [5.0, 0.0], 1.0);
    let beside = [cpm7.pose.position.x, cpm7.pose.position.y + 2.5];
    let cpm8 = report(V2xObject::KIND_CPM_OBJECT, 200, 8, beside, [5.0, 0.0], 1.0);
    let out = fusion.fuse(&empty, Some(&v2x_array(0, vec![cam.clone(), cpm7.clone()]))).unwrap();
    assert_eq!(out.objects.len(), 1, "{:?}", out.objects);
    assert_eq!(fusion.stats().get(Counter::V2xDuplicatesMerged), 1);
    let o = &out.objects[0];
    // Inverse-covariance weighting: tighter than either report.
    assert!(o.pose_covariance.0[0] < 1.0 && o.pose_covariance.0[0] > 0.0);
    let merged_id = o.track_id;
    // Both a CAM and a CPM of the same car, plus a local track of it: still one object.
    let local = DetectedObjectArray {
        header: Header { stamp: stamp(1), frame_id: "base_link".into() },
        objects: vec![tracked(9, [truth[0] + 5.0 * 0.1, truth[1]], [5.0, 0.0])],
    };
    let mut later = vec![cam, cpm7, cpm8];
    for r in &mut later {
        r.pose.position.x += 0.5;
    }
    let out = fusion.fuse(&local, Some(&v2x_array(1, later))).unwrap();
    let at_car = near(&out.objects, [truth[0] + 0.5, truth[1]], 1.0);
    assert_eq!(at_car.len(), 1, "{:?}", out.objects);
    assert_eq!(at_car[0].modalities, LOCAL | V2X);
    assert_eq!(at_car[0].track_id, 9);
    // The CPM's second object is its own V2X-only object.
    assert_eq!(out.objects.len(), 2, "{:?}", out.objects);
    let other = out.objects.iter().find(|o| o.track_id != 9).unwrap();
    assert_eq!(other.modalities, V2X);
    assert_ne!(other.track_id, merged_id);
}

#[test]
fn stale_future_non_finite_ego_and_denm_reports_are_dropped_and_counted() {
    let mut fusion = fusion();
    let local = DetectedObjectArray {
        header: Header { stamp: stamp(20), frame_id: "base_link".into() },
        objects: vec![tracked(3, [15.0, 0.0], [0.0, 0.0])],
    };
    let mut stale = report(V2xObject::KIND_CAM, 1, 0, [50.0, 0.0], [0.0, 0.0], 1.0);
    stale.generation_time = stamp(5); // 1.5 s old
    let mut future = report(V2xObject::KIND_CAM, 2, 0, [50.0, 10.0], [0.0, 0.0], 1.0);
    future.generation_time = stamp(25);
    let mut nan = report(V2xObject::KIND_CPM_OBJECT, 3, 1, [50.0, 20.0], [0.0, 0.0], 1.0);
    nan.velocity.y = f64::NAN;
    let ego = report(V2xObject::KIND_CPM_OBJECT, 3, 2, [1.5, 0.2], [0.0, 0.0], 1.0);
    let denm = report(V2xObject::KIND_DENM, 4, 0, [70.0, 0.0], [0.0, 0.0], 1.0);
    let mut no_cov = report(V2xObject::KIND_BSM, 5, 0, [30.0, -30.0], [0.0, 0.0], 1.0);
    no_cov.pose_covariance = Covariance([0.0; 36]);
    let reports = vec![stale, future, nan, ego, denm, no_cov];
    let out = fusion.fuse(&local, Some(&v2x_array(20, reports))).unwrap();
    let s = fusion.stats();
    assert_eq!(
        [Counter::V2xStale, Counter::V2xFutureDated, Counter::V2xNonFinite, Counter::V2xEgo]
            .map(|c| s.get(c)),
        [1, 1, 1, 1]
    );
    assert_eq!(s.get(Counter::V2xNotARoadUser), 1);
    assert_eq!(s.get(Counter::V2xDefaultedCovariance), 1);
    // The local object and the BSM (with the default σ 2 m) remain.
    assert_eq!(out.objects.len(), 2);
    let bsm = near(&out.objects, [30.0, -30.0], 0.01)[0];
    assert_eq!(bsm.pose_covariance.0[0], LateFusionParams::default().default_sigma_bsm_m.powi(2));
    assert!(out.objects.iter().all(all_finite));
}

#[test]
fn reports_are_moved_to_the_newest_stamp_and_frames_are_checked() {
    let mut fusion = fusion();
    let local = array(10, vec![tracked(4, [10.0, 0.0], [2.0, 0.0])]);
    // Generated 0.5 s before the local stamp at 10 m/s: now 5 m further, σ grown.
    let mut cam = report(V2xObject::KIND_CAM, 7, 0, [50.0, 3.0], [10.0, 0.0], 1.0);
    cam.generation_time = stamp(5);
    let out = fusion.fuse(&local, Some(&v2x_array(10, vec![cam]))).unwrap();
    let o = near(&out.objects, [55.0, 3.0], 1e-9);
    assert_eq!(o.len(), 1);
    assert!((o[0].pose_covariance.0[0] - (1.0 + 0.25 * 0.25)).abs() < 1e-9);
    // A V2X array newer than the tracks: output at its stamp, local objects moved to it.
    let v2x = v2x_array(12, vec![]);
    let out = fusion.fuse(&local, Some(&v2x)).unwrap();
    assert_eq!(out.header.stamp, stamp(12));
    assert!((out.objects[0].center.x - 10.4).abs() < 1e-9);
    // Wrong frames: the tracks are refused; V2X in another frame is ignored, tracks go on.
    let mut wrong = local.clone();
    wrong.header.frame_id = "map".into();
    let e = fusion.fuse(&wrong, None).unwrap_err();
    assert!(matches!(&e, LateFusionError::WrongFrame { found, .. } if found == "map"), "{e}");
    let mut v2x =
        v2x_array(10, vec![report(V2xObject::KIND_CAM, 8, 0, [20.0, 20.0], [0.0; 2], 1.0)]);
    v2x.header.frame_id = "map".into();
    let out = fusion.fuse(&local, Some(&v2x)).unwrap();
    assert_eq!(out.objects.len(), 1);
    assert_eq!(fusion.stats().get(Counter::V2xWrongFrame), 1);
}

#[test]
fn two_hundred_local_and_fifty_v2x_objects() {
    // 200 tracks on a 20 x 10 grid, 8 m apart. V2X: CAMs of 30 of them, CPM reports of 10 of
    // those 30 from another station, 10 CAMs of cars beyond the grid.
    let mut noise = Noise::new(77);
    let grid = |i: usize| [-80.0 + 8.0 * (i % 20) as f64, -40.0 + 8.0 * (i / 20) as f64];
    let local = array(0, (0..200).map(|i| tracked(i as u32 + 1, grid(i), [3.0, 1.0])).collect());
    let mut reports = Vec::new();
    for i in 0..30 {
        let [x, y] = grid(i * 6);
        let p = [x + 0.7 * noise.normal(), y + 0.7 * noise.normal()];
        reports.push(report(V2xObject::KIND_CAM, 1000 + i as u32, 0, p, [3.0, 1.0], 0.7));
    }
    for i in 0..10 {
        let [x, y] = grid(i * 6);
        let p = [x + 0.7 * noise.normal(), y + 0.7 * noise.normal()];
        reports.push(report(V2xObject::KIND_CPM_OBJECT, 2000, i as u32 + 1, p, [3.0, 1.0], 0.7));
    }
    for i in 0..10 {
        reports.push(report(
            V2xObject::KIND_CAM,
            3000 + i,
            0,
            [100.0, i as f64 * 8.0],
            [0.0; 2],
            1.0,
        ));
    }
    let mut fusion = fusion();
    let out = fusion.fuse(&local, Some(&v2x_array(0, reports))).unwrap();
    assert_eq!(out.objects.len(), 210);
    let with_v2x: Vec<_> = out.objects.iter().filter(|o| o.modalities & V2X != 0).collect();
    assert_eq!(with_v2x.iter().filter(|o| o.modalities & LOCAL != 0).count(), 30);
    assert_eq!(with_v2x.iter().filter(|o| o.modalities == V2X).count(), 10);
    for i in 0..30 {
        let o = out.objects.iter().find(|o| o.track_id == i * 6 + 1).unwrap();
        assert_eq!(o.modalities, LOCAL | V2X, "track {}", o.track_id);
    }
    assert_eq!(fusion.stats().get(Counter::V2xDuplicatesMerged), 10);
}
