//! The fusion node's core: messages in, what to publish out, no transport. The model step is
//! in [`detect`].

mod detect;

use crate::convert;
use crate::ego::EgoPoses;
use crate::error::{ConvertError, FusionError, ModelError};
use crate::model::FusionModel;
use crate::params::FusionParams;
use crate::scene::{Assembled, Detected, SceneAssembler};
use crate::stats::{Counter, FusionStats, Stage, StageLatency};
use crate::sync::{CameraLidarSync, Frame, SyncEvent};
use crate::tracking::TrackingStage;
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::edgefusion::{DetectedObjectArray, Scene, V2xObjectArray};
use edgefusion_msgs::nav_msgs::{OccupancyGrid, Odometry};
use edgefusion_msgs::sensor_msgs::{CameraInfo, Image, PointCloud2};
use edgefusion_msgs::std_msgs::Header;
use edgefusion_msgs::tf2_msgs::TFMessage;
use edgefusion_node::Named;
use edgefusion_tf::TransformBuffer;
use nalgebra::Isometry3;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

/// Camera + lidar fusion with the TorchScript model, then tracking and the scene.
///
/// Per input the node returns what it publishes ([`Output`]). Clouds and images are paired by
/// [`CameraLidarSync`] (lidar as the main sensor; either goes on alone when the other is
/// missing); each frame runs the model ([`FusionNode::detect`]) and its detections go out on
/// `/perception/objects` at once. The frame then waits ([`SceneAssembler`]) for the lidar
/// node's grid and clusters of its cloud, and the tracker (carried by the ego motion from
/// odometry), the late fusion with V2X and the scene follow.
pub struct FusionNode {
    params: FusionParams,
    model: Option<Arc<FusionModel>>,
    tf: TransformBuffer,
    camera_info: Option<CameraInfo>,
    /// Images that came before any CameraInfo (over DDS the camera node's image and its
    /// CameraInfo race): they enter the pairing when the first CameraInfo comes.
    images_before_info: VecDeque<Arc<Image>>,
    sync: CameraLidarSync,
    scene: SceneAssembler,
    ego: EgoPoses,
    /// odom_from_base at the previous tracked frame, for the ego motion between frames.
    last_ego_pose: Option<Isometry3<f64>>,
    /// The lidar's frame as the clouds name it (camera-only frames lift boxes there).
    lidar_frame: String,
    /// Which sensor is missing now, so that an outage is logged once, not per frame.
    missing: Option<Counter>,
    stats: FusionStats,
    latency: StageLatency,
    /// None when the tracking parameters were refused (logged once; detections still flow).
    tracking: Option<TrackingStage>,
}

/// What the node publishes.
#[derive(Debug, Clone)]
pub enum Output {
    /// `/perception/objects`: one frame's detections.
    Objects(DetectedObjectArray),
    /// `/perception/tracked_objects`: the tracks fused with V2X.
    Tracked(DetectedObjectArray),
    /// `/perception/scene`.
    Scene(Box<Scene>),
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
            sync: CameraLidarSync::new(params.sync),
            scene: SceneAssembler::new(params.lidar_wait_ns),
            ego: EgoPoses::new(&params.output_frame, params.odometry_max_gap_ns),
            last_ego_pose: None,
            lidar_frame: params.lidar_frame.clone(),
            missing: None,
            params,
            model,
            tf: TransformBuffer::new(),
            camera_info: None,
            images_before_info: VecDeque::new(),
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

    pub fn transforms(&self) -> &TransformBuffer {
        &self.tf
    }

    /// `/v2x/objects`: kept (the latest) for the late fusion of the next frames.
    pub fn on_v2x_objects(&mut self, objects: &V2xObjectArray) {
        if let Some(tracking) = self.tracking.as_mut() {
            tracking.on_v2x_objects(objects.clone());
        }
    }

    /// `/localization/odometry`: the ego motion between frames, and the scene's ego state.
    pub fn on_odometry(&mut self, odometry: &Odometry) {
        self.stats.increment(Counter::OdometryReceived);
        if let Err(e) = self.ego.on_odometry(odometry) {
            self.stats.increment(Counter::BadOdometry);
            tracing::warn!("{}: {e}", Counter::BadOdometry.name());
        }
    }

    /// `/sensing/camera/front/image_rect/camera_info`: kept (the latest) for size and P. The
    /// first one lets the images that came before it into the pairing: returns what the
    /// frames they complete publish.
    pub fn on_camera_info(
        &mut self,
        info: &CameraInfo,
        now: Time,
    ) -> Result<Vec<Output>, FusionError> {
        self.stats.increment(Counter::CameraInfosReceived);
        if !info.p.iter().all(|v| v.is_finite()) {
            let e = ConvertError::NonFiniteProjection { frame: info.header.frame_id.clone() };
            return Err(self.reject(e.into()));
        }
        if self.camera_info.as_ref() != Some(info) {
            self.camera_info = Some(info.clone());
        }
        let mut out = Vec::new();
        while let Some(image) = self.images_before_info.pop_front() {
            // Each is checked against the CameraInfo now; a rejected one is counted and logged.
            out.extend(self.on_image(image, now).unwrap_or_default());
        }
        Ok(out)
    }

    /// `/tf_static`: all transforms of the message, or none if one is invalid.
    pub fn on_tf_static(&mut self, message: &TFMessage) -> Result<(), FusionError> {
        self.stats.increment(Counter::TfStaticReceived);
        match self.tf.add_message(message) {
            Ok(_) => Ok(()),
            Err(e) => Err(self.reject(e.into())),
        }
    }

    /// `/sensing/camera/front/image_rect`: checked (encoding, layout, size against camera_info
    /// when known), then paired with clouds, without copying. Returns what the frames it
    /// completes publish.
    pub fn on_image(&mut self, image: Arc<Image>, now: Time) -> Result<Vec<Output>, FusionError> {
        let _entered =
            tracing::debug_span!("fusion_image", stamp = %stamp_text(image.header.stamp)).entered();
        if self.camera_info.is_none() {
            self.images_before_info.push_back(image);
            if self.images_before_info.len() > self.params.sync.queue_size {
                self.images_before_info.pop_front();
                self.degrade(Counter::NoCameraInfo, "image dropped: no camera_info yet");
            }
            return Ok(Vec::new());
        }
        self.stats.increment(Counter::ImagesReceived);
        if let Err(e) = convert::image_tensor(&image, self.camera_info.as_ref()) {
            return Err(self.reject(e.into()));
        }
        let frames = self.sync.on_image(image);
        Ok(self.run_frames(frames, now))
    }

    /// `/sensing/lidar/points`: checked, then paired with an image. Returns what the frames it
    /// completes publish (none while the cloud waits for its image).
    pub fn on_cloud(
        &mut self,
        cloud: Arc<PointCloud2>,
        now: Time,
    ) -> Result<Vec<Output>, FusionError> {
        let _entered =
            tracing::debug_span!("fusion_cloud", stamp = %stamp_text(cloud.header.stamp)).entered();
        self.stats.increment(Counter::CloudsReceived);
        if let Err(e) = convert::cloud_tensor(&cloud) {
            return Err(self.reject(e.into()));
        }
        self.lidar_frame.clone_from(&cloud.header.frame_id);
        let frames = self.sync.on_cloud(cloud, now);
        Ok(self.run_frames(frames, now))
    }

    /// `/perception/occupancy_grid` from the lidar node: the free space of its cloud's frame.
    pub fn on_occupancy_grid(&mut self, grid: Arc<OccupancyGrid>) -> Vec<Output> {
        if grid.header.frame_id != self.params.output_frame {
            self.stats.increment(Counter::GridWrongFrame);
            tracing::warn!(
                "{}: grid in '{}', the scene is in '{}' (lidar node output_frame)",
                Counter::GridWrongFrame.name(),
                grid.header.frame_id,
                self.params.output_frame
            );
            return Vec::new();
        }
        let assembled = self.scene.on_grid(grid);
        self.finish_frames(assembled)
    }

    /// `/perception/lidar/objects` from the lidar node: its clusters of the cloud's frame.
    pub fn on_lidar_objects(&mut self, objects: Arc<DetectedObjectArray>) -> Vec<Output> {
        let assembled = self.scene.on_lidar_objects(objects);
        self.finish_frames(assembled)
    }

    /// Node time passes: frames that waited long enough for a sensor go on.
    pub fn on_tick(&mut self, now: Time) -> Vec<Output> {
        let frames = self.sync.on_tick(now);
        let mut out = self.run_frames(frames, now);
        let assembled = self.scene.on_tick(now);
        out.extend(self.finish_frames(assembled));
        out
    }

    /// The inputs ended: every waiting image, cloud and frame goes on with what it has.
    pub fn on_end(&mut self, now: Time) -> Vec<Output> {
        let mut frames = Vec::new();
        for image in std::mem::take(&mut self.images_before_info) {
            self.stats.increment(Counter::ImagesReceived);
            frames.extend(self.sync.on_image(image));
        }
        frames.extend(self.sync.flush());
        let mut out = self.run_frames(frames, now);
        let assembled = self.scene.flush();
        out.extend(self.finish_frames(assembled));
        out
    }

    /// Paired frames through the model, then the scene assembly.
    fn run_frames(&mut self, frames: Vec<Frame>, now: Time) -> Vec<Output> {
        for event in self.sync.take_events() {
            let counter = match event {
                SyncEvent::TimeJumpedBack => Counter::TimeJumpedBack,
                SyncEvent::CloudQueueFull => Counter::SyncQueueFull,
            };
            self.stats.increment(counter);
            tracing::warn!("{}: camera/lidar pairing restarted or hurried", counter.name());
        }
        let mut out = Vec::new();
        let started = Instant::now();
        for frame in frames {
            self.note_missing_sensor(&frame);
            let detections = match self.detect(frame.cloud.as_deref(), frame.image.as_deref()) {
                Ok(detections) => {
                    out.push(Output::Objects(detections.clone()));
                    detections
                }
                // Counted and logged; the frame still moves the tracker and the scene on.
                Err(_) => DetectedObjectArray {
                    header: Header::new(frame.stamp(), &self.params.output_frame),
                    objects: Vec::new(),
                },
            };
            // The wait for the lidar node starts now, after the model: node time advanced by
            // the time the model took, as the runtimes advance it between inputs.
            let after_model =
                Time::from_nanos(now.as_nanos() + started.elapsed().as_nanos() as i64);
            let assembled = self.scene.on_detected(Detected { frame, detections }, after_model);
            out.extend(self.finish_frames(assembled));
        }
        out
    }

    /// Counts frames a sensor is missing from, and logs when an outage starts and ends.
    fn note_missing_sensor(&mut self, frame: &Frame) {
        let missing = match (&frame.cloud, &frame.image) {
            (Some(_), None) => Some(Counter::CameraMissing),
            (None, Some(_)) => Some(Counter::LidarMissing),
            _ => None,
        };
        if let Some(counter) = missing {
            self.stats.increment(counter);
        }
        if missing != self.missing {
            match missing {
                Some(Counter::CameraMissing) => tracing::warn!(
                    "camera_missing: no image within sync.max_interval_ms of the cloud at {}: \
                     lidar (+V2X) only",
                    stamp_text(frame.stamp())
                ),
                Some(_) => tracing::warn!(
                    "lidar_missing: no cloud for sync.lidar_timeout_ms before the image at {}: \
                     camera (+V2X) only",
                    stamp_text(frame.stamp())
                ),
                None => tracing::info!("camera and lidar paired again"),
            }
            self.missing = missing;
        }
    }

    /// Assembled frames through the tracker (moved by the ego motion) and into the scene.
    fn finish_frames(&mut self, assembled: Vec<Assembled>) -> Vec<Output> {
        let mut out = Vec::new();
        for frame in assembled {
            let stamp = frame.detected.detections.header.stamp;
            let start = Instant::now();
            let ego_pose = self.ego.pose_at(stamp);
            if ego_pose.is_none() && self.ego.has_odometry() {
                self.stats.increment(Counter::NoOdometry);
                tracing::debug!("no odometry within scene.odometry_max_gap_ms of the frame");
            }
            let tracked = self.tracking.as_mut().and_then(|tracking| {
                let moved =
                    ego_pose.zip(self.last_ego_pose).map(|(now, before)| now.inverse() * before);
                if let Some(new_from_old) = moved {
                    tracking.move_frame(&new_from_old);
                }
                let lidar_objects =
                    frame.lidar_objects.as_deref().filter(|_| self.params.use_lidar_objects);
                tracking.on_detections(&frame.detected.detections, lidar_objects)
            });
            self.last_ego_pose = ego_pose;
            self.latency.record(Stage::Tracking, start.elapsed());
            let objects = tracked.as_ref().unwrap_or(&frame.detected.detections).objects.clone();
            if let Some(tracked) = tracked {
                out.push(Output::Tracked(tracked));
            }
            let scene = Scene {
                header: Header::new(stamp, &self.params.output_frame),
                objects,
                free_space: frame.grid.as_deref().cloned().unwrap_or_default(),
                ego: self.ego.odometry_at(stamp).unwrap_or_default(),
            };
            self.stats.increment(Counter::ScenesPublished);
            out.push(Output::Scene(Box::new(scene)));
        }
        out
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
pub(super) fn stamp_text(stamp: Time) -> String {
    format!("{}.{:09}", stamp.sec, stamp.nanosec)
}
