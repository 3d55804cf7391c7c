//! `/perception/scene` from the whole vehicle stack (launch/vehicle.launch.xml in process) on
//! real data: KITTI 000008 seen ten times at 10 Hz (a parked scene), camera, lidar, fusion
//! and V2X nodes as a vehicle runs them. Then the same bag with one sensor cut off by
//! remapping its input to a topic nobody publishes: the stack degrades instead of stalling.
//! Ground truth: KITTI's labels (`/perception/ground_truth`, converted to base_link).

mod common;
use common::{convert, edgefusion, path, stderr};
use edgefusion_bag::{BagReader, ReadOptions};
use edgefusion_msgs::edgefusion::{DetectedObject, DetectedObjectArray, Scene};
use edgefusion_msgs::tf2_msgs::TFMessage;
use edgefusion_msgs::Message;
use edgefusion_tf::TransformBuffer;
use nalgebra::Point3;
use std::path::{Path, PathBuf};

const FRAMES: usize = 10;
const LAUNCH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/launch/vehicle.launch.xml");

/// KITTI 000008 as a ten-frame sequence (frame folders linked to the fixture), as a bag.
fn ten_frame_bag(dir: &Path) -> Option<PathBuf> {
    let frame = edgefusion_testdata::fixture("kitti/000008")?;
    let frames = dir.join("frames");
    std::fs::create_dir(&frames).unwrap();
    for k in 0..FRAMES {
        std::os::unix::fs::symlink(&frame, frames.join(format!("{k:06}"))).unwrap();
    }
    Some(convert(&frames, dir, "input"))
}

/// Runs the vehicle stack on `bag` with launch arguments; returns the summary and recording.
fn run_stack(dir: &Path, bag: &Path, name: &str, args: &[&str]) -> (String, PathBuf) {
    let recording = dir.join(name);
    let mut argv = vec!["run", "--bag", path(bag), "--launch", LAUNCH];
    argv.extend(["--record", path(&recording)]);
    argv.extend(args);
    let out = edgefusion(&argv);
    assert!(out.status.success(), "{}", stderr(&out));
    (stderr(&out), recording)
}

fn read<M: Message>(bag: &Path, topic: &str) -> Vec<M> {
    let reader = BagReader::open(bag).unwrap();
    let options = ReadOptions { topics: Some(vec![topic.into()]), ..Default::default() };
    reader.messages(options).map(|m| M::decode(&m.unwrap().data).unwrap()).collect()
}

/// The labelled cars' centres in base_link (the labels are in lidar_top; the bag's
/// /tf_static has base_link -> lidar_top).
fn labelled_cars(bag: &Path) -> Vec<Point3<f64>> {
    let mut tf = TransformBuffer::new();
    for message in read::<TFMessage>(bag, "/tf_static") {
        tf.add_message(&message).unwrap();
    }
    let base_from_lidar = tf.lookup("base_link", "lidar_top").unwrap();
    let labels: Vec<DetectedObjectArray> = read(bag, "/perception/ground_truth");
    assert_eq!(labels[0].header.frame_id, "lidar_top");
    labels[0]
        .objects
        .iter()
        .filter(|o| o.classification == DetectedObject::CLASS_CAR)
        .map(|o| base_from_lidar * Point3::new(o.center.x, o.center.y, o.center.z))
        .collect()
}

/// The labelled cars within 30 m, and how many `objects` lie within 2 m of one (BEV).
fn cars_near_labels(cars: &[Point3<f64>], objects: &[DetectedObject]) -> (usize, usize) {
    let cars: Vec<&Point3<f64>> = cars.iter().filter(|c| c.x.hypot(c.y) < 30.0).collect();
    let found = cars
        .iter()
        .filter(|car| objects.iter().any(|o| (o.center.x - car.x).hypot(o.center.y - car.y) < 2.0))
        .count();
    (cars.len(), found)
}

#[test]
fn the_stack_publishes_a_scene_per_cloud_with_tracks_and_free_space() {
    let dir = tempfile::tempdir().unwrap();
    let Some(bag) = ten_frame_bag(dir.path()) else { return };
    let (summary, recording) = run_stack(dir.path(), &bag, "all", &[]);
    let cars = labelled_cars(&bag);
    let clouds = read::<edgefusion_msgs::sensor_msgs::PointCloud2>(&bag, "/sensing/lidar/points");
    let scenes: Vec<Scene> = read(&recording, "/perception/scene");
    assert_eq!(scenes.len(), FRAMES, "one scene per cloud:\n{summary}");
    for (k, (scene, cloud)) in scenes.iter().zip(&clouds).enumerate() {
        assert_eq!(scene.header.stamp, cloud.header.stamp, "frame {k}: the cloud's stamp");
        assert_eq!(scene.header.frame_id, "base_link");
        // Free space: the lidar node's grid of the same cloud.
        assert_eq!(scene.free_space.header.stamp, cloud.header.stamp, "frame {k}");
        assert!(scene.free_space.data.contains(&0) && scene.free_space.data.contains(&100));
        // No odometry in the bag: the ego state is left empty.
        assert!(scene.ego.header.frame_id.is_empty());
        if k < 3 {
            continue; // tracks are confirmed on their 4th hit (tracker.confirm_hits)
        }
        let tracked_cars: Vec<DetectedObject> = scene
            .objects
            .iter()
            .filter(|o| o.classification == DetectedObject::CLASS_CAR)
            .cloned()
            .collect();
        let (labelled, found) = cars_near_labels(&cars, &tracked_cars);
        assert!(found + 1 >= labelled, "frame {k}: {found} of {labelled} labelled cars tracked");
        assert!(tracked_cars.iter().all(|o| o.track_id != 0
            && o.modalities & DetectedObject::MODALITY_CAMERA != 0
            && o.velocity.x.hypot(o.velocity.y) < 1.0));
    }
    assert!(summary.contains("fusion: published     10 on /perception/scene"), "{summary}");
    assert!(summary.contains("fusion: errors: none"), "{summary}");
}

#[test]
fn without_camera_the_lidar_clusters_are_tracked_and_without_lidar_the_camera_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let Some(bag) = ten_frame_bag(dir.path()) else { return };
    let cars = labelled_cars(&bag);

    // No camera: a scene per cloud all the same, its objects the lidar's clusters (class
    // unknown), tracked near the labelled cars.
    let (summary, recording) =
        run_stack(dir.path(), &bag, "no_camera", &["image_topic:=/no/camera/image_raw"]);
    let scenes: Vec<Scene> = read(&recording, "/perception/scene");
    assert_eq!(scenes.len(), FRAMES, "{summary}");
    let last = &scenes[FRAMES - 1];
    assert!(last.objects.iter().all(|o| o.modalities == DetectedObject::MODALITY_LIDAR
        && o.classification == DetectedObject::CLASS_UNKNOWN));
    let (labelled, found) = cars_near_labels(&cars, &last.objects);
    assert!(found + 1 >= labelled, "{found} of {labelled} labelled cars tracked from lidar alone");
    assert!(summary.contains(&format!("fusion: errors: {FRAMES:>6} camera_missing")), "{summary}");

    // No lidar: the images go on alone once the lidar has been silent for lidar_timeout_ms
    // (300 ms; the images held until then too), camera-only boxes, no free space.
    let (summary, recording) =
        run_stack(dir.path(), &bag, "no_lidar", &["lidar_topic:=/no/lidar/points"]);
    let objects: Vec<DetectedObjectArray> = read(&recording, "/perception/objects");
    assert_eq!(objects.len(), FRAMES, "{summary}");
    // Camera-only boxes are placed by class size priors: the cars are there, their range is
    // not what lidar would give, so only the count is checked.
    for frame in &objects {
        let seen = frame.objects.iter().filter(|o| o.classification == DetectedObject::CLASS_CAR);
        assert!(seen.count() + 1 >= cars.len(), "{:?}", frame.objects);
        assert!(frame.objects.iter().all(|o| o.num_points == 0 && o.has_image_box));
    }
    let scenes: Vec<Scene> = read(&recording, "/perception/scene");
    assert_eq!(scenes.len(), FRAMES);
    assert!(scenes.iter().all(|s| s.free_space.data.is_empty()));
    assert!(summary.contains(&format!("fusion: errors: {FRAMES:>6} lidar_missing")), "{summary}");
}
