//! The fusion node's core: messages in, `DetectedObjectArray` out, no transport.

use crate::convert::{self, CloudTensor, Projection};
use crate::covariance;
use crate::error::{ConvertError, FusionError, ModelError};
use crate::model::{Detection, Detections, FusionModel};
use crate::params::FusionParams;
use crate::stats::{Counter, FusionStats, Stage, StageLatency};
use crate::tracking::TrackingStage;
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::edgefusion::{DetectedObject, DetectedObjectArray, V2xObjectArray};
use edgefusion_msgs::geometry_msgs::{Covariance, Point, Vector3};
use edgefusion_msgs::sensor_msgs::{CameraInfo, Image, PointCloud2};
use edgefusion_msgs::std_msgs::Header;
use edgefusion_msgs::tf2_msgs::TFMessage;
use edgefusion_tf::TransformBuffer;
use nalgebra::{Isometry3, Point3, Vector3 as NVector3};
use std::sync::Arc;
use std::time::Instant;

/// Camera + lidar fusion with the TorchScript model. Lidar drives the output: each cloud is
/// paired with the newest image (if its stamp is within `max_image_age_ms`), and each
/// [`FusionNode::on_cloud`] yields the objects seen.
pub struct FusionNode {
    params: FusionParams,
    model: Option<Arc<FusionModel>>,
    tf: TransformBuffer,
    camera_info: Option<CameraInfo>,
    image: Option<Arc<Image>>,
    stats: FusionStats,
    latency: StageLatency,
    /// None when the tracking parameters were refused (logged once; detections still flow).
    tracking: Option<TrackingStage>,
}

impl FusionNode {
    /// The node's name in parameter files and logs.
    pub const NAME: &'static str = "fusion";

    /// Builds the node and loads its model. A model path that is unset or names no file is not
    /// an error: the node then runs without the camera network (one warning now, a counter per
    /// cloud). A file that exists but is not a valid module is an error.
    pub fn new(params: FusionParams) -> Result<Self, ModelError> {
        let model = match &params.model_path {
            None => None,
            Some(path) => match FusionModel::load(path, &params.model_options()) {
                Ok(model) => Some(Arc::new(model)),
                Err(ModelError::Missing { .. }) => None,
                Err(e) => return Err(e),
            },
        };
        Ok(Self::with_model(params, model))
    }

    /// Builds the node around an already loaded model (shared, e.g. between evaluation runs),
    /// or none (then it says so once, and publishes empty arrays).
    pub fn with_model(params: FusionParams, model: Option<Arc<FusionModel>>) -> Self {
        if model.is_none() {
            let why = match &params.model_path {
                Some(path) => format!("model file {} not found", path.display()),
                None => "no model_path set".to_string(),
            };
            tracing::warn!(
                "fusion: {why}: running WITHOUT the camera network, publishing empty object \
                 arrays (model/export builds the model)"
            );
        }
        let tracking = match TrackingStage::new(&params.tracking) {
            Ok(stage) => Some(stage),
            Err(e) => {
                tracing::error!("fusion: tracking disabled: {e}");
                None
            }
        };
        Self {
            params,
            model,
            tf: TransformBuffer::new(),
            camera_info: None,
            image: None,
            stats: FusionStats::default(),
            latency: StageLatency::default(),
            tracking,
        }
    }

    pub fn params(&self) -> &FusionParams {
        &self.params
    }

    pub fn model(&self) -> Option<&Arc<FusionModel>> {
        self.model.as_ref()
    }

    pub fn stats(&self) -> &FusionStats {
        &self.stats
    }

    pub fn latency(&self) -> &StageLatency {
        &self.latency
    }

    /// The tracker and late fusion, if running.
    pub fn tracking(&self) -> Option<&TrackingStage> {
        self.tracking.as_ref()
    }

    /// `/v2x/objects`: kept (the latest) for the late fusion of the next frames.
    pub fn on_v2x_objects(&mut self, objects: &V2xObjectArray) {
        if let Some(tracking) = self.tracking.as_mut() {
            tracking.on_v2x_objects(objects.clone());
        }
    }

    /// The tracked objects, fused with V2X, for one frame of [`FusionNode::on_cloud`]'s
    /// detections; `None` without tracking or when the frame was refused (counted).
    pub fn track(&mut self, detections: &DetectedObjectArray) -> Option<DetectedObjectArray> {
        let start = Instant::now();
        let fused = self.tracking.as_mut()?.on_detections(detections);
        self.latency.record(Stage::Tracking, start.elapsed());
        fused
    }

    pub fn transforms(&self) -> &TransformBuffer {
        &self.tf
    }

    /// `/sensing/camera/front/camera_info`: kept (the latest) for image size and P.
    pub fn on_camera_info(&mut self, info: &CameraInfo) -> Result<(), FusionError> {
        self.stats.increment(Counter::CameraInfosReceived);
        if !info.p.iter().all(|v| v.is_finite()) {
            let e = ConvertError::NonFiniteProjection { frame: info.header.frame_id.clone() };
            return Err(self.reject(e.into()));
        }
        if self.camera_info.as_ref() != Some(info) {
            self.camera_info = Some(info.clone());
        }
        Ok(())
    }

    /// `/tf_static`: all transforms of the message, or none if one is invalid.
    pub fn on_tf_static(&mut self, message: &TFMessage) -> Result<(), FusionError> {
        self.stats.increment(Counter::TfStaticReceived);
        match self.tf.add_message(message) {
            Ok(_) => Ok(()),
            Err(e) => Err(self.reject(e.into())),
        }
    }

    /// `/sensing/camera/front/image_raw`: checked (encoding, layout, size against camera_info
    /// when known) and kept, without copying, for the next clouds. A rejected image leaves the
    /// previous one in place (it ages out by `max_image_age_ms`).
    pub fn on_image(&mut self, image: Arc<Image>) -> Result<(), FusionError> {
        let _entered =
            tracing::debug_span!("fusion_image", stamp = %stamp_text(image.header.stamp)).entered();
        self.stats.increment(Counter::ImagesReceived);
        if let Err(e) = convert::image_tensor(&image, self.camera_info.as_ref()) {
            return Err(self.reject(e.into()));
        }
        self.image = Some(image);
        Ok(())
    }

    /// `/sensing/lidar/points`: the objects seen at this cloud, in `output_frame`, stamped with
    /// the newest sensor stamp used. Without model, camera_info or a recent image, an empty
    /// array (and a counter says why). `Ok(None)` is reserved for the approximate-time
    /// synchronisation of a later issue (a cloud held back to wait for its image); today every
    /// accepted cloud yields `Some`.
    pub fn on_cloud(
        &mut self,
        cloud: &PointCloud2,
    ) -> Result<Option<DetectedObjectArray>, FusionError> {
        let _entered =
            tracing::info_span!("fusion_cloud", stamp = %stamp_text(cloud.header.stamp)).entered();
        let start = Instant::now();
        self.stats.increment(Counter::CloudsReceived);
        let result = self.process(cloud, start);
        match result {
            Ok(objects) => {
                self.stats.increment(Counter::Outputs);
                self.stats.add(Counter::ObjectsPublished, objects.objects.len() as u64);
                self.latency.record(Stage::Total, start.elapsed());
                Ok(Some(objects))
            }
            Err(e) => Err(self.reject(e)),
        }
    }

    fn process(
        &mut self,
        cloud: &PointCloud2,
        start: Instant,
    ) -> Result<DetectedObjectArray, FusionError> {
        let points = convert::cloud_tensor(cloud)?;
        let cloud_stamp = cloud.header.stamp;
        let empty = |stamp: Time, frame: &str| DetectedObjectArray {
            header: Header::new(stamp, frame),
            objects: Vec::new(),
        };
        let Some(model) = self.model.clone() else {
            self.stats.increment(Counter::NoModel);
            return Ok(empty(cloud_stamp, &self.params.output_frame));
        };
        let Some(info) = self.camera_info.as_ref() else {
            self.degrade(Counter::NoCameraInfo, "no camera_info yet");
            return Ok(empty(cloud_stamp, &self.params.output_frame));
        };
        let Some(image) = self.image.clone() else {
            self.degrade(Counter::NoImage, "no image yet");
            return Ok(empty(cloud_stamp, &self.params.output_frame));
        };
        let age_ms = (cloud_stamp.as_nanos() - image.header.stamp.as_nanos()).abs() as f64 / 1e6;
        if age_ms > self.params.max_image_age_ms {
            self.degrade(Counter::StaleImage, &format!("newest image is {age_ms:.1} ms away"));
            return Ok(empty(cloud_stamp, &self.params.output_frame));
        }
        let image_tensor = convert::image_tensor(&image, Some(info))?;
        let camera_frame = if info.header.frame_id.is_empty() {
            &image.header.frame_id
        } else {
            &info.header.frame_id
        };
        let lidar_frame = &cloud.header.frame_id;
        let camera_from_lidar = self.tf.lookup(camera_frame, lidar_frame)?;
        let output_from_lidar = self.tf.lookup(&self.params.output_frame, lidar_frame)?;
        let projection = convert::lidar_to_image(info, &camera_from_lidar, lidar_frame)?;
        let points = self.usable_points(points, &projection, lidar_frame)?;
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
        let stamp = cloud_stamp.max(image.header.stamp);
        let objects = rows
            .iter()
            .filter(|d| d.score >= self.params.score_threshold)
            .map(|d| detected_object(d, &output_from_lidar))
            .collect();
        Ok(DetectedObjectArray { header: Header::new(stamp, &self.params.output_frame), objects })
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

    /// Counts and logs a degraded (empty) output.
    fn degrade(&mut self, counter: Counter, why: &str) {
        self.stats.increment(counter);
        tracing::debug!("empty output: {why}");
    }

    /// A runtime handed input port `input` a message of another type: counted and logged, as any
    /// rejected input.
    pub(crate) fn count_unexpected_input(&mut self, input: usize) {
        self.stats.increment(Counter::WrongMessageType);
        tracing::warn!("wrong_message_type: input port {input} got a message of another type");
    }

    /// Counts and logs a rejected input (one line), and hands the error back.
    fn reject(&mut self, error: FusionError) -> FusionError {
        let counter = error.counter();
        self.stats.increment(counter);
        tracing::warn!("{}: {error}", counter.name());
        error
    }
}

/// `sec.nanosec`, for spans.
fn stamp_text(stamp: Time) -> String {
    format!("{}.{:09}", stamp.sec, stamp.nanosec)
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
