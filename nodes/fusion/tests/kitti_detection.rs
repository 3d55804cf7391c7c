//! The node on KITTI 000008 with the exported modules: cars found in the image, placed in 3D.
//! Ground truth is KITTI's labels (converted to lidar_top by edgefusion-kitti), compared in
//! the node's output frame (base_link) through the frame's own static transforms.

mod common;

use edgefusion_msgs::edgefusion::DetectedObject;
use nalgebra::Point3;
use std::sync::Arc;

fn finds_labelled_cars(variant: &str) {
    let Some(frame) = common::kitti_000008() else { return };
    let Some(model) = common::model(variant) else { return };
    let mut node = common::node(Some(model), &frame);
    let cloud = frame.cloud.as_ref().unwrap();
    let image = Arc::new(frame.image.clone().unwrap());
    let out = common::one_frame(&common::serve(&mut node, image, Arc::new(cloud.clone())));
    assert_eq!(out.header.frame_id, "base_link");
    assert_eq!(out.header.stamp, cloud.header.stamp);
    assert!(out.objects.iter().all(|o| o.score >= 0.5), "score_threshold 0.5 applied");

    let base_from_lidar = node.transforms().lookup("base_link", "lidar_top").unwrap();
    let truth = frame.ground_truth.as_ref().unwrap();
    let cars: Vec<&DetectedObject> =
        truth.objects.iter().filter(|o| o.classification == DetectedObject::CLASS_CAR).collect();
    assert_eq!(cars.len(), 6, "000008 has 6 labelled cars");
    let mut found = 0;
    for car in &cars {
        let best =
            out.objects.iter().filter(|o| o.classification == DetectedObject::CLASS_CAR).max_by(
                |a, b| {
                    common::iou(a.image_box, car.image_box)
                        .total_cmp(&common::iou(b.image_box, car.image_box))
                },
            );
        let Some(det) = best.filter(|d| common::iou(d.image_box, car.image_box) >= 0.5) else {
            eprintln!(
                "{variant}: car at {:?} (image box {:?}) not found",
                car.center, car.image_box
            );
            continue;
        };
        found += 1;
        let range = car.center.x.hypot(car.center.y);
        let truth_centre = base_from_lidar * Point3::new(car.center.x, car.center.y, car.center.z);
        let centre = Point3::new(det.center.x, det.center.y, det.center.z);
        let error = (centre - truth_centre).norm();
        eprintln!(
            "{variant}: car at {range:5.1} m: IoU {:.2}, score {:.2}, {} points, centre error {error:.2} m",
            common::iou(det.image_box, car.image_box),
            det.score,
            det.num_points
        );
        if range < 30.0 {
            assert!(error < 1.5, "{variant}: car at {range:.1} m placed {error:.2} m off");
            assert!(det.num_points > 0, "a car closer than 30 m has lidar support");
            assert_eq!(
                det.modalities,
                DetectedObject::MODALITY_CAMERA | DetectedObject::MODALITY_LIDAR
            );
        }
        assert!(det.has_image_box);
        let cov = &det.pose_covariance.0;
        assert!(cov[0] > 0.0 && cov[7] > 0.0 && cov[14] > 0.0 && cov[35] > 0.0);
    }
    assert!(found >= 5, "{variant}: found {found} of 6 labelled cars");
    assert_eq!(node.stats().get(edgefusion_fusion::Counter::Outputs), 1);
}

#[test]
fn fp32_finds_labelled_cars_and_places_them() {
    finds_labelled_cars("fp32");
}

#[test]
fn int8_finds_labelled_cars_and_places_them() {
    finds_labelled_cars("int8");
}
