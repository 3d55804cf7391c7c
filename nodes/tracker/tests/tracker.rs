//! Tracker behaviour on scenarios built here: straight-line targets with seeded Gaussian noise
//! (σ per axis as stated in each test), 10 Hz frames, default parameters unless said.

mod common;

use common::*;
use edgefusion_msgs::edgefusion::DetectedObject;
use edgefusion_tracker::{Counter, TrackStatus, Tracker, TrackerError, TrackerParams};
use std::collections::HashMap;

const CAR: u8 = DetectedObject::CLASS_CAR;

fn tracker() -> Tracker {
    Tracker::new(TrackerParams::default()).unwrap()
}

/// Runs `frames` frames; returns, per frame, the (target index, object) pairs of the output.
fn run(
    tracker: &mut Tracker,
    targets: &[Target],
    frames: i64,
    sigma: f64,
    seed: u64,
) -> Vec<Vec<(usize, DetectedObject)>> {
    let mut noise = Noise::new(seed);
    (0..frames)
        .map(|k| {
            let out = tracker.update(&array(k, observe(targets, k, sigma, &mut noise))).unwrap();
            out.objects
                .into_iter()
                .map(|o| {
                    let i = nearest_target(targets, k, o.center.x, o.center.y, 2.0).unwrap_or_else(
                        || panic!("frame {k}: track {} near no target", o.track_id),
                    );
                    (i, o)
                })
                .collect()
        })
        .collect()
}

#[test]
fn constant_velocity_targets_get_their_velocity_and_keep_their_ids() {
    let targets = [
        Target { start: [10.0, 5.0], velocity: [10.0, 0.0], class: CAR },
        Target { start: [40.0, -10.0], velocity: [-5.0, 3.0], class: CAR },
        Target { start: [25.0, 20.0], velocity: [0.0, -8.0], class: CAR },
        Target { start: [-20.0, -15.0], velocity: [2.0, 2.0], class: CAR },
        Target {
            start: [8.0, -6.0],
            velocity: [1.2, 0.5],
            class: DetectedObject::CLASS_PEDESTRIAN,
        },
    ];
    let mut tracker = tracker();
    let frames = run(&mut tracker, &targets, 50, 0.2, 1);
    let mut id_of: HashMap<usize, u32> = HashMap::new();
    for (k, objects) in frames.iter().enumerate() {
        // M = 4 hits: confirmed from the fourth frame on, then every target every frame.
        if k < 3 {
            assert!(objects.is_empty(), "frame {k}: {} objects before confirmation", objects.len());
            continue;
        }
        assert_eq!(objects.len(), targets.len(), "frame {k}");
        for (i, o) in objects {
            assert_ne!(o.track_id, 0);
            let id = *id_of.entry(*i).or_insert(o.track_id);
            assert_eq!(o.track_id, id, "frame {k}: target {i} changed id");
            assert!(all_finite(o));
        }
    }
    assert_eq!(id_of.len(), targets.len());
    // Velocity: averaged over the last 2 s (frames 30..50) within 0.3 m/s of the truth (a
    // single frame's estimate has σ ≈ 0.4 m/s per axis with these process and measurement
    // noises; over 100 seeds x 5 targets the 2 s mean never missed 0.3 m/s).
    for (i, target) in targets.iter().enumerate() {
        let estimates: Vec<[f64; 2]> = frames[30..]
            .iter()
            .flat_map(|objects| objects.iter().filter(|(j, _)| *j == i))
            .map(|(_, o)| [o.velocity.x, o.velocity.y])
            .collect();
        assert_eq!(estimates.len(), 20);
        let mean = |axis: usize| estimates.iter().map(|e| e[axis]).sum::<f64>() / 20.0;
        let err = (mean(0) - target.velocity[0]).hypot(mean(1) - target.velocity[1]);
        assert!(err < 0.3, "target {i}: mean velocity error {err}");
    }
    for (i, o) in frames.last().unwrap() {
        let v = targets[*i].velocity;
        let err = (o.velocity.x - v[0]).hypot(o.velocity.y - v[1]);
        // The published velocity σ is consistent with the error (within 4σ) and small.
        let sigma = (o.velocity_covariance[0] + o.velocity_covariance[4]).sqrt();
        assert!(err < 4.0 * sigma && sigma < 1.0, "target {i}: err {err} σ {sigma}");
        assert!(o.pose_covariance.0[0] > 0.0 && o.pose_covariance.0[0] < 0.2f64.powi(2));
        assert_eq!(o.classification, targets[*i].class);
    }
    assert_eq!(tracker.stats().get(Counter::TracksBorn), targets.len() as u64);
}

#[test]
fn crossing_targets_keep_their_ids() {
    // Two cars on an X, through the same point at t = 2 s (frame 20).
    let targets = [
        Target { start: [-20.0, -20.0], velocity: [10.0, 10.0], class: CAR },
        Target { start: [-20.0, 20.0], velocity: [10.0, -10.0], class: CAR },
    ];
    for seed in 1..=5 {
        let mut tracker = tracker();
        let frames = run(&mut tracker, &targets, 45, 0.15, seed);
        let before: HashMap<usize, u32> =
            frames[15].iter().map(|(i, o)| (*i, o.track_id)).collect();
        let after: HashMap<usize, u32> = frames[44].iter().map(|(i, o)| (*i, o.track_id)).collect();
        assert_eq!(before.len(), 2, "seed {seed}");
        assert_eq!(before, after, "seed {seed}: ids swapped or lost in the crossing");
    }
}

/// A confirmed target whose detections stop for `gap` frames, then come back.
fn missed_for(gap: i64) -> (Vec<usize>, Vec<u32>) {
    let target = [Target { start: [15.0, 3.0], velocity: [6.0, 0.0], class: CAR }];
    let mut tracker = tracker();
    let mut noise = Noise::new(7);
    let (mut counts, mut ids) = (Vec::new(), Vec::new());
    for k in 0..40 {
        let seen = !(10..10 + gap).contains(&k);
        let objects = if seen { observe(&target, k, 0.2, &mut noise) } else { vec![] };
        let out = tracker.update(&array(k, objects)).unwrap();
        counts.push(out.objects.len());
        ids.extend(out.objects.iter().map(|o| o.track_id));
    }
    ids.dedup();
    (counts, ids)
}

#[test]
fn a_track_survives_max_misses_and_dies_after_more() {
    let k = i64::from(TrackerParams::default().max_misses);
    // k missed frames: the track coasts through them (published) and keeps its id.
    let (counts, ids) = missed_for(k);
    assert!(counts[3..].iter().all(|&n| n == 1), "{counts:?}");
    assert_eq!(ids.len(), 1, "{ids:?}");
    // k + 1: deleted at the (k+1)th miss; the returning target is a new track with a new id,
    // published again after its confirmation.
    let (counts, ids) = missed_for(k + 1);
    let gap_end = (10 + k + 1) as usize;
    assert!(counts[10..gap_end - 1].iter().all(|&n| n == 1), "{counts:?}");
    assert_eq!(counts[gap_end - 1], 0, "{counts:?}");
    assert_eq!(counts[gap_end + 3..].iter().min(), Some(&1), "{counts:?}");
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert_ne!(ids[0], ids[1]);
}

#[test]
fn clutter_does_not_confirm_but_a_real_target_in_it_does() {
    // 5 false boxes per frame, uniform over 120 m x 80 m around the ego, plus one real car.
    let target = [Target { start: [20.0, 0.0], velocity: [-4.0, 1.0], class: CAR }];
    let mut tracker = tracker();
    let mut noise = Noise::new(11);
    let mut confirmed_clutter = 0;
    let mut real_ids = Vec::new();
    for k in 0..100 {
        let mut objects = observe(&target, k, 0.2, &mut noise);
        for _ in 0..5 {
            let (x, y) = (noise.uniform(-60.0, 60.0), noise.uniform(-40.0, 40.0));
            objects.push(detection(x, y, CAR, 0.3));
        }
        let out = tracker.update(&array(k, objects)).unwrap();
        for o in &out.objects {
            match nearest_target(&target, k, o.center.x, o.center.y, 2.0) {
                Some(_) => real_ids.push(o.track_id),
                None => confirmed_clutter += 1,
            }
        }
    }
    assert_eq!(confirmed_clutter, 0);
    real_ids.dedup();
    assert_eq!(real_ids.len(), 1, "{real_ids:?}");
    assert!(tracker.stats().get(Counter::TracksDeletedTentative) > 300);
}

#[test]
fn stamp_going_backwards_or_a_large_gap_resets_with_a_counter() {
    let target = [Target { start: [10.0, 0.0], velocity: [5.0, 0.0], class: CAR }];
    let mut tracker = tracker();
    let mut noise = Noise::new(3);
    let mut first_ids = Vec::new();
    for k in 0..10 {
        let out = tracker.update(&array(k, observe(&target, k, 0.2, &mut noise))).unwrap();
        first_ids.extend(out.objects.iter().map(|o| o.track_id));
    }
    assert_eq!(first_ids.last(), Some(&1));
    // Frame 5's stamp again after frame 9: time went backwards.
    let out = tracker.update(&array(5, observe(&target, 5, 0.2, &mut noise))).unwrap();
    assert!(out.objects.is_empty());
    assert_eq!(tracker.stats().get(Counter::TimeWentBackwards), 1);
    assert_eq!(tracker.tracks().len(), 1);
    assert_eq!(tracker.tracks()[0].status(), TrackStatus::Tentative);
    // Tracking goes on from there; the new track has a new id.
    let mut ids = Vec::new();
    for k in 6..12 {
        let out = tracker.update(&array(k, observe(&target, k, 0.2, &mut noise))).unwrap();
        ids.extend(out.objects.iter().map(|o| o.track_id));
    }
    assert!(!ids.is_empty() && ids.iter().all(|&id| id == 2), "{ids:?}");
    // A 5 s hole (max_gap_s 1 s): reset, counted.
    tracker.update(&array(62, observe(&target, 62, 0.2, &mut noise))).unwrap();
    assert_eq!(tracker.stats().get(Counter::LargeGap), 1);
    assert!(tracker.tracks().iter().all(|t| t.status() == TrackStatus::Tentative));
    // The same stamp twice is not "backwards".
    tracker.update(&array(62, vec![])).unwrap();
    assert_eq!(tracker.stats().get(Counter::TimeWentBackwards), 1);
}

#[test]
fn non_finite_boxes_are_rejected_counted_and_never_propagated() {
    let target = [Target { start: [10.0, 0.0], velocity: [5.0, 0.0], class: CAR }];
    let mut tracker = tracker();
    let mut noise = Noise::new(5);
    for k in 0..20 {
        let mut objects = observe(&target, k, 0.2, &mut noise);
        let mut bad = detection(30.0, 5.0, CAR, 0.2);
        match k % 4 {
            0 => bad.center.x = f64::NAN,
            1 => bad.size.y = f64::INFINITY,
            2 => bad.pose_covariance.0[7] = f64::NAN,
            _ => bad.score = f32::NAN,
        }
        objects.push(bad);
        let out = tracker.update(&array(k, objects)).unwrap();
        assert!(out.objects.iter().all(all_finite));
        assert!(out.objects.len() <= 1, "frame {k}: the bad box made a track");
    }
    assert_eq!(tracker.stats().get(Counter::NonFiniteDetection), 20);
    assert_eq!(tracker.stats().get(Counter::TracksBorn), 1);
}

#[test]
fn unusable_covariance_falls_back_to_the_default_and_other_frames_are_refused() {
    // Confirm on the first hit, to see the new track's covariance in the output.
    let mut tracker =
        Tracker::new(TrackerParams { confirm_hits: 1, ..Default::default() }).unwrap();
    let mut d = detection(10.0, 0.0, CAR, 0.2);
    d.pose_covariance.0 = [0.0; 36]; // ROS "unknown"
    let out = tracker.update(&array(0, vec![d])).unwrap();
    assert_eq!(tracker.stats().get(Counter::DefaultedCovariance), 1);
    let sigma2 = TrackerParams::default().default_position_sigma_m.powi(2);
    let cov = &out.objects[0].pose_covariance.0;
    assert_eq!((cov[0], cov[7], cov[14]), (sigma2, sigma2, sigma2));
    assert_eq!(tracker.tracks()[0].position(), [10.0, 0.0, 0.8]);
    let mut wrong = array(1, vec![detection(10.0, 0.0, CAR, 0.2)]);
    wrong.header.frame_id = "lidar_top".into();
    let e = tracker.update(&wrong).unwrap_err();
    assert!(matches!(&e, TrackerError::WrongFrame { found, .. } if found == "lidar_top"), "{e}");
    assert_eq!(tracker.stats().get(Counter::WrongFrame), 1);
}

#[test]
fn two_hundred_targets_are_all_tracked_with_stable_ids() {
    // A 20 x 10 grid, 8 m apart, all moving at (3, 1) m/s, σ 0.2 m.
    let targets: Vec<Target> = (0..200)
        .map(|i| Target {
            start: [-80.0 + 8.0 * (i % 20) as f64, -40.0 + 8.0 * (i / 20) as f64],
            velocity: [3.0, 1.0],
            class: CAR,
        })
        .collect();
    let mut tracker = tracker();
    let frames = run(&mut tracker, &targets, 30, 0.2, 9);
    let ids_at = |k: usize| -> HashMap<usize, u32> {
        frames[k].iter().map(|(i, o)| (*i, o.track_id)).collect()
    };
    // Confirmed by frame 5 (4 of 6), allowing a miss: all of them at frame 8, ids kept since.
    assert_eq!(frames[8].len(), 200);
    assert_eq!(ids_at(8).len(), 200);
    assert_eq!(ids_at(8), ids_at(29));
    // Velocity: small errors, and the published covariance is not overconfident (mean of
    // |e|² / trace would be 1 for a filter whose model matched; these targets never
    // accelerate, so the process noise makes it conservative, below 1).
    let (mut ratio, mut squared) = (0.0, 0.0);
    for (_, o) in &frames[29] {
        let e2 = (o.velocity.x - 3.0).powi(2) + (o.velocity.y - 1.0).powi(2);
        ratio += e2 / (o.velocity_covariance[0] + o.velocity_covariance[4]) / 200.0;
        squared += e2 / 200.0;
    }
    assert!(ratio < 1.2, "velocity error / covariance {ratio}");
    assert!(squared.sqrt() < 0.8, "velocity RMS error {}", squared.sqrt());
    assert_eq!(tracker.stats().get(Counter::TracksConfirmed), 200, "a target confirmed twice");
}

#[test]
fn a_confirmed_track_recovers_a_detection_just_outside_its_gate() {
    // Precise boxes (σ 0.05 m) for 10 frames, then one 1.2 m off sideways: far outside the
    // Mahalanobis gate, inside recovery_distance_m (2 m).
    let run = |recovery_distance_m: f64| {
        let params = TrackerParams { recovery_distance_m, ..Default::default() };
        let mut tracker = Tracker::new(params).unwrap();
        let target = [Target { start: [12.0, 0.0], velocity: [5.0, 0.0], class: CAR }];
        let mut noise = Noise::new(13);
        for k in 0..10 {
            tracker.update(&array(k, observe(&target, k, 0.05, &mut noise))).unwrap();
        }
        let mut off = observe(&target, 10, 0.05, &mut noise);
        off[0].center.y += 1.2;
        tracker.update(&array(10, off)).unwrap();
        tracker
    };
    let with = run(2.0);
    assert_eq!(with.stats().get(Counter::RecoveredAssociations), 1);
    assert_eq!(with.tracks().len(), 1);
    assert_eq!(with.tracks()[0].consecutive_misses(), 0);
    let without = run(0.0);
    assert_eq!(without.stats().get(Counter::RecoveredAssociations), 0);
    assert_eq!(without.tracks().len(), 2, "the off box starts a new track");
    assert_eq!(without.tracks()[0].consecutive_misses(), 1);
}

/// The vehicle drives a left curve at 10 m/s past three parked cars and one crossing at
/// 3 m/s; detections are in base_link (moving with the vehicle), 10 Hz, σ 0.1 m. Carried by
/// the ego motion each frame, the parked cars' tracks stay still and the crossing car keeps
/// its speed over ground, in base_link axes (mean over the last second within 0.3 m/s, the
/// bound of the constant-velocity test above). The same run without the ego motion sees the
/// parked cars move at about the vehicle's speed (the check that the motion matters).
#[test]
fn ego_motion_keeps_parked_cars_still_and_speeds_over_ground() {
    use nalgebra::{Isometry3, Point3, Vector3};
    let world = [
        Target { start: [30.0, 4.0], velocity: [0.0, 0.0], class: CAR },
        Target { start: [45.0, 9.0], velocity: [0.0, 0.0], class: CAR },
        Target { start: [20.0, -6.0], velocity: [0.0, 0.0], class: CAR },
        Target { start: [35.0, -15.0], velocity: [0.0, 3.0], class: CAR },
    ];
    // The vehicle's pose in the world at frame k: 10 m/s, turning at 0.1 rad/s.
    let ego = |k: i64| {
        let yaw = 0.1 * k as f64 * 0.1;
        let (x, y) = (100.0 * yaw.sin(), 100.0 * (1.0 - yaw.cos()));
        Isometry3::new(Vector3::new(x, y, 0.0), Vector3::new(0.0, 0.0, yaw))
    };
    // Per target, the velocity error (m/s, base_link axes) of its track, averaged over frames
    // 20..30.
    let run = |compensate: bool| {
        let mut tracker = tracker();
        let mut noise = Noise::new(7);
        let mut errors = vec![(Vector3::zeros(), 0); world.len()];
        for k in 0..30 {
            let base_from_world = ego(k).inverse();
            let in_base = |target: &Target| {
                let [x, y] = target.at(k as f64 * 0.1);
                base_from_world * Point3::new(x, y, 0.0)
            };
            let objects = world
                .iter()
                .map(|target| {
                    let p = in_base(target);
                    detection(p.x + 0.1 * noise.normal(), p.y + 0.1 * noise.normal(), CAR, 0.1)
                })
                .collect();
            if compensate && k > 0 {
                tracker.move_frame(&(base_from_world * ego(k - 1)));
            }
            let out = tracker.update(&array(k, objects)).unwrap();
            if k < 20 {
                continue;
            }
            for (i, target) in world.iter().enumerate() {
                let p = in_base(target);
                let near = |o: &&DetectedObject| (o.center.x - p.x).hypot(o.center.y - p.y) < 1.0;
                let Some(o) = out.objects.iter().find(near) else { continue };
                let [vx, vy] = target.velocity;
                let truth = base_from_world.rotation * Vector3::new(vx, vy, 0.0);
                errors[i].0 += Vector3::new(o.velocity.x, o.velocity.y, 0.0) - truth;
                errors[i].1 += 1;
            }
        }
        errors
            .into_iter()
            .map(|(sum, n)| (n == 10).then(|| (sum / n as f64).norm()))
            .collect::<Vec<_>>()
    };
    for (i, error) in run(true).into_iter().enumerate() {
        let error = error.unwrap_or_else(|| panic!("target {i} not tracked in every frame"));
        assert!(error < 0.3, "target {i}: mean velocity error {error:.2} m/s");
    }
    let parked: Vec<f64> = run(false).into_iter().take(3).flatten().collect();
    assert!(!parked.is_empty(), "without ego motion no parked car is tracked throughout");
    for error in parked {
        assert!(error > 5.0, "without ego motion a parked car's error is only {error:.1} m/s");
    }
}
