//! The fusion node's tracking stage on real detections: KITTI 000008 seen in ten frames at 10 Hz
//! (a parked scene): the cars become confirmed tracks whose ids stay the same, whose speed is
//! near zero, and whose positions stay on the detections.

mod common;
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::edgefusion::DetectedObject;
use std::sync::Arc;

#[test]
fn parked_cars_become_stable_tracks_at_rest() {
    let Some(frame) = common::kitti_000008() else { return };
    let Some(model) = common::model("int8") else { return };
    let mut node = common::node(Some(model), &frame);
    let start = frame.cloud.as_ref().unwrap().header.stamp.as_nanos();
    let mut ids_per_frame = Vec::new();
    for k in 0..10i64 {
        let stamp = Time::from_nanos(start + k * 100_000_000);
        let mut image = frame.image.clone().unwrap();
        image.header.stamp = stamp;
        let mut cloud = frame.cloud.clone().unwrap();
        cloud.header.stamp = stamp;
        let outputs = common::serve(&mut node, Arc::new(image), Arc::new(cloud));
        let detections = common::one_frame(&outputs);
        let cars = |objects: &[DetectedObject]| {
            objects.iter().filter(|o| o.classification == DetectedObject::CLASS_CAR).count()
        };
        assert!(cars(&detections.objects) >= 5);
        let tracked = common::tracked(&outputs);
        assert_eq!(tracked.len(), 1, "tracking runs on every frame");
        let tracked = tracked[0];
        assert_eq!(tracked.header.stamp, stamp);
        if k < 3 {
            // Tracks are confirmed after 4 hits (tracker.confirm_hits).
            assert!(tracked.objects.is_empty(), "frame {k}: {tracked:?}");
            continue;
        }
        assert!(cars(&tracked.objects) >= 5, "frame {k}: {tracked:?}");
        for track in &tracked.objects {
            assert_ne!(track.track_id, 0);
            let v = &track.velocity;
            let speed = (v.x * v.x + v.y * v.y).sqrt();
            assert!(speed < 1.0, "frame {k}: a parked car moves at {speed} m/s: {track:?}");
            let nearest = detections
                .objects
                .iter()
                .map(|d| {
                    ((d.center.x - track.center.x).powi(2) + (d.center.y - track.center.y).powi(2))
                        .sqrt()
                })
                .fold(f64::INFINITY, f64::min);
            assert!(
                nearest < 0.5,
                "frame {k}: track {} is {nearest} m from any detection",
                track.track_id
            );
        }
        let mut ids: Vec<u32> = tracked.objects.iter().map(|o| o.track_id).collect();
        ids.sort();
        ids_per_frame.push(ids);
    }
    assert!(ids_per_frame.windows(2).all(|w| w[0] == w[1]), "ids changed: {ids_per_frame:?}");
    let counters = node.tracking().unwrap().counters();
    assert_eq!(counters.get("tracking.frames").map(|c| c.0), Some(10));
}
