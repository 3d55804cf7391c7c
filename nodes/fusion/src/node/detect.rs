//! The model step of the fusion node: one frame (cloud and/or image) through the TorchScript
//! module into a `DetectedObjectArray` in the output frame.

use super::{stamp_text, FusionNode};
use crate::convert::{self, CloudTensor, Projection};
use crate::covariance;
use crate::error::{FusionError, ModelError};
use crate::model::{Detection, Detections};
use crate::stats::{Counter, Stage};
use edgefusion_msgs::edgefusion::{DetectedObject, DetectedObjectArray};
use edgefusion_msgs::geometry_msgs::{Covariance, Point, Vector3};
use edgefusion_msgs::sensor_msgs::{Image, PointCloud2};
use edgefusion_msgs::std_msgs::Header;
use nalgebra::{Isometry3, Point3, Vector3 as NVector3};
use std::time::Instant;

impl FusionNode {
    /// The model on one frame: the objects seen, in `output_frame`, stamped with the newest
    /// sensor stamp used. Without model, camera_info or image, an empty array (a counter says
    /// why). Without cloud, camera-only boxes (lifted by size priors in the lidar frame).
    pub fn detect(
        &mut self,
        cloud: Option<&PointCloud2>,
        image: Option<&Image>,
    ) -> Result<DetectedObjectArray, FusionError> {
        let frame_stamp = cloud.map(|c| c.header.stamp).max(image.map(|i| i.header.stamp));
        let stamp = frame_stamp.unwrap_or_default();
        let _entered = tracing::info_span!("fusion_frame", stamp = %stamp_text(stamp)).entered();
        let start = Instant::now();
        match self.process(cloud, image, start) {
            Ok(objects) => {
                self.stats.increment(Counter::Outputs);
                self.stats.add(Counter::ObjectsPublished, objects.objects.len() as u64);
                self.latency.record(Stage::Total, start.elapsed());
                Ok(objects)
            }
            Err(e) => Err(self.reject(e)),
        }
    }

    fn process(
        &mut self,
        cloud: Option<&PointCloud2>,
        image: Option<&Image>,
        start: Instant,
    ) -> Result<DetectedObjectArray, FusionError> {
        let points = match cloud {
            Some(cloud) => convert::cloud_tensor(cloud)?,
            None => convert::empty_cloud(),
        };
        let stamp = cloud.map(|c| c.header.stamp).max(image.map(|i| i.header.stamp));
        let empty = DetectedObjectArray {
            header: Header::new(stamp.unwrap_or_default(), &self.params.output_frame),
            objects: Vec::new(),
        };
        let Some(model) = self.model.clone() else {
            self.stats.increment(Counter::NoModel);
            return Ok(empty);
        };
        let Some(image) = image else {
            // Lidar only (counted as camera_missing by the caller).
            return Ok(empty);
        };
        let Some(info) = self.camera_info.as_ref() else {
            self.degrade(Counter::NoCameraInfo, "no camera_info yet");
            return Ok(empty);
        };
        let image_tensor = convert::image_tensor(image, Some(info))?;
        let camera_frame = if info.header.frame_id.is_empty() {
            &image.header.frame_id
        } else {
            &info.header.frame_id
        };
        let lidar_frame = cloud.map_or(&self.lidar_frame, |c| &c.header.frame_id).clone();
        let camera_from_lidar = self.tf.lookup(camera_frame, &lidar_frame)?;
        let output_from_lidar = self.tf.lookup(&self.params.output_frame, &lidar_frame)?;
        let projection = convert::lidar_to_image(info, &camera_from_lidar, &lidar_frame)?;
        let points = match cloud {
            Some(_) => self.usable_points(points, &projection, &lidar_frame)?,
            None => points,
        };
        self.latency.record(Stage::Conversion, start.elapsed());

        let t = Instant::now();
        let detected = model.detect_2d(&image_tensor)?;
        self.latency.record(Stage::Detect2d, t.elapsed());
        let t = Instant::now();
        let lifted = model.lift(&detected, &points, &projection)?;
        self.latency.record(Stage::Lift, t.elapsed());

        let rows =
            Detections::from_parts(detected, lifted).rows().map_err(|e| ModelError::Inference {
                path: model.path().to_path_buf(),
                method: "forward",
                message: format!("reading outputs: {e}"),
            })?;
        let objects = rows
            .iter()
            .filter(|d| d.score >= self.params.score_threshold)
            .map(|d| detected_object(d, &output_from_lidar))
            .collect();
        Ok(DetectedObjectArray { objects, ..empty })
    }

    /// The cloud as the model gets it: counts non-finite rows (the model ignores them), and
    /// replaces a cloud with no point in front of the camera by an empty one (boxes are then
    /// camera-only), with a warning.
    fn usable_points<'a>(
        &mut self,
        points: CloudTensor<'a>,
        projection: &Projection,
        lidar_frame: &str,
    ) -> Result<CloudTensor<'a>, FusionError> {
        if points.is_empty() {
            self.stats.increment(Counter::EmptyCloud);
            tracing::debug!("cloud has no points: camera-only boxes");
            return Ok(points);
        }
        let (finite, in_front) = convert::count_points(&points, projection);
        let non_finite = points.len() as i64 - finite;
        if non_finite > 0 {
            self.stats.add(Counter::NonFinitePoints, non_finite as u64);
            tracing::debug!(
                "{non_finite} of {} points have non-finite x/y/z (ignored)",
                points.len()
            );
        }
        if in_front == 0 {
            self.stats.increment(Counter::AllPointsBehindCamera);
            tracing::warn!(
                "none of the {} points of '{lidar_frame}' is in front of the camera: \
                 camera-only boxes (check the lidar -> camera transform)",
                points.len()
            );
            return Ok(convert::empty_cloud());
        }
        Ok(points)
    }
}

/// A model detection as a message in the output frame: centre by the full transform, yaw by the
/// rotation's effect on the heading direction (its rotation about z).
fn detected_object(d: &Detection, output_from_lidar: &Isometry3<f64>) -> DetectedObject {
    let [x, y, z, l, w, h, yaw] = d.box_3d.map(f64::from);
    let centre = output_from_lidar * Point3::new(x, y, z);
    let heading = output_from_lidar.rotation * NVector3::new(yaw.cos(), yaw.sin(), 0.0);
    let lidar_supported = d.num_points > 0;
    let classification = u8::try_from(d.class)
        .ok()
        .filter(|c| (DetectedObject::CLASS_CAR..=DetectedObject::CLASS_MOTORCYCLE).contains(c))
        .unwrap_or(DetectedObject::CLASS_UNKNOWN);
    DetectedObject {
        center: Point { x: centre.x, y: centre.y, z: centre.z },
        size: Vector3 { x: l, y: w, z: h },
        yaw: heading.y.atan2(heading.x),
        classification,
        score: d.score,
        pose_covariance: Covariance(covariance::pose_covariance(
            [x, y, z],
            lidar_supported,
            &output_from_lidar.rotation.to_rotation_matrix(),
        )),
        velocity_covariance: covariance::VELOCITY_COVARIANCE,
        modalities: DetectedObject::MODALITY_CAMERA
            | if lidar_supported { DetectedObject::MODALITY_LIDAR } else { 0 },
        num_points: d.num_points.clamp(0, i64::from(u32::MAX)) as u32,
        has_image_box: true,
        image_box: d.box_2d,
        ..Default::default()
    }
}
