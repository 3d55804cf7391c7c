//! The camera node's core: CameraInfo, Image and CompressedImage in; the rgb8 (rectified)
//! image and the CameraInfo that describes it out. No transport.

use crate::calibration::CameraCalibration;
use crate::decode::{self, Pixels, RgbImage};
use crate::error::{CameraError, StartError};
use crate::params::CameraParams;
use crate::rectify::{RectifyError, RectifyMap};
use crate::stats::{CameraStats, Counter, Stage, StageLatency};
use edgefusion_msgs::sensor_msgs::{CameraInfo, CompressedImage, Image};
use edgefusion_msgs::std_msgs::Header;
use edgefusion_node::topics;
use edgefusion_node::Named;
use std::sync::Arc;
use std::time::Instant;

/// What one accepted image yields; both carry the input image's header (frame overridden by
/// the `frame_id` parameter if set).
#[derive(Debug, Clone, PartialEq)]
pub struct CameraOutput {
    /// rgb8, step = 3 × width. For an rgb8 input that needs no remapping, the input message
    /// itself (shared, not copied).
    pub image: Arc<Image>,
    /// With `rectify`: the rectified camera (no distortion, K = P's left 3x3, R = I, P as
    /// given). Without: the input calibration.
    pub info: CameraInfo,
    /// Whether the pixels went through a rectification map.
    pub remapped: bool,
}

/// How images of the current calibration are rectified.
#[derive(Debug)]
enum Rectifier {
    /// Nothing to do: no distortion, R = I, K = P's left 3x3 (KITTI image_2).
    Identity,
    Map(RectifyMap),
}

/// The rectifier of one calibration, computed once and kept until the calibration changes.
struct CachedRectifier {
    calibration: CameraCalibration,
    rectifier: Result<Arc<Rectifier>, RectifyError>,
}

/// Image decoding and rectification for one camera.
pub struct CameraNode {
    params: CameraParams,
    /// From `calibration_file` (fixed) or the last valid CameraInfo.
    calibration: Option<CameraCalibration>,
    /// Where `calibration` came from, for errors.
    calibration_origin: String,
    fixed_calibration: bool,
    cache: Option<CachedRectifier>,
    stats: CameraStats,
    latency: StageLatency,
}

impl CameraNode {
    /// The node's name in parameter files and logs.
    pub const NAME: &'static str = "camera";

    /// A node with checked parameters. A `calibration_file` is read (and its rectification map
    /// built, with `rectify`) here: a bad file stops the start with an error naming file and field.
    pub fn new(params: CameraParams) -> Result<Self, StartError> {
        params.validate("camera parameters")?;
        let mut node = Self {
            params,
            calibration: None,
            calibration_origin: topics::CAMERA_INFO.to_string(),
            fixed_calibration: false,
            cache: None,
            stats: CameraStats::default(),
            latency: StageLatency::default(),
        };
        if let Some(path) = node.params.calibration_file.clone() {
            let calibration = CameraCalibration::from_yaml_file(&path)?;
            node.calibration_origin = path.display().to_string();
            let pixels = u64::from(calibration.width) * u64::from(calibration.height);
            if pixels > node.params.max_pixels {
                return Err(StartError::Rectification {
                    file: node.calibration_origin.clone(),
                    why: format!(
                        "image size {} x {} exceeds max_pixels = {}",
                        calibration.width, calibration.height, node.params.max_pixels
                    ),
                });
            }
            node.calibration = Some(calibration.clone());
            node.fixed_calibration = true;
            if node.params.rectify {
                if let Err(e) = node.rectifier(&calibration) {
                    let file = node.calibration_origin.clone();
                    return Err(StartError::Rectification { file, why: e.to_string() });
                }
            }
        }
        Ok(node)
    }

    pub fn params(&self) -> &CameraParams {
        &self.params
    }

    pub fn stats(&self) -> &CameraStats {
        &self.stats
    }

    pub fn latency(&self) -> &StageLatency {
        &self.latency
    }

    /// The calibration images are checked and rectified with, if any yet.
    pub fn calibration(&self) -> Option<&CameraCalibration> {
        self.calibration.as_ref()
    }

    /// `camera_info`: the calibration for the next images. A message that cannot describe an
    /// image is rejected and the previous calibration kept. Ignored with `calibration_file`.
    pub fn on_camera_info(&mut self, info: &CameraInfo) -> Result<(), CameraError> {
        self.stats.increment(Counter::CameraInfoReceived);
        if self.fixed_calibration {
            self.stats.increment(Counter::CameraInfoIgnored);
            return Ok(());
        }
        let topic = topics::CAMERA_INFO;
        match CameraCalibration::from_camera_info(info, topic) {
            Ok(calibration) => {
                self.calibration = Some(calibration);
                Ok(())
            }
            Err(source) => {
                Err(self.reject(CameraError::BadCameraInfo { topic: topic.into(), source }))
            }
        }
    }

    /// `image_raw`: see [`crate::decode::decode_image`] for the encodings read.
    pub fn on_image(&mut self, image: &Arc<Image>) -> Result<CameraOutput, CameraError> {
        self.stats.increment(Counter::ImagesReceived);
        let topic = topics::CAMERA_IMAGE;
        self.process(topic, &image.header, |max| decode::decode_image(image, topic, max))
    }

    /// `image_raw/compressed`: JPEG or PNG.
    pub fn on_compressed(&mut self, image: &CompressedImage) -> Result<CameraOutput, CameraError> {
        self.stats.increment(Counter::CompressedReceived);
        let topic = topics::CAMERA_IMAGE_COMPRESSED;
        self.process(topic, &image.header, |max| decode::decode_compressed(image, topic, max))
    }

    fn process(
        &mut self,
        topic: &str,
        header: &Header,
        decode: impl FnOnce(u64) -> Result<RgbImage, CameraError>,
    ) -> Result<CameraOutput, CameraError> {
        let stamp = format!("{}.{:09}", header.stamp.sec, header.stamp.nanosec);
        let span = tracing::debug_span!("camera_image", topic, stamp = %stamp);
        let _entered = span.enter();
        let start = Instant::now();
        match self.convert(topic, header, decode, start) {
            Ok(output) => {
                self.latency.record(Stage::Total, start.elapsed());
                self.stats.increment(Counter::Outputs);
                let counter =
                    if output.remapped { Counter::Remapped } else { Counter::PassedThrough };
                self.stats.increment(counter);
                Ok(output)
            }
            Err(e) => Err(self.reject(e)),
        }
    }

    fn convert(
        &mut self,
        topic: &str,
        header: &Header,
        decode: impl FnOnce(u64) -> Result<RgbImage, CameraError>,
        start: Instant,
    ) -> Result<CameraOutput, CameraError> {
        // Without a calibration the image is dropped anyway: do not spend the decode on it.
        let Some(calibration) = self.calibration.clone() else {
            return Err(CameraError::NoCameraInfo { topic: topic.into() });
        };
        let decoded = decode(self.params.max_pixels)?;
        let decoded_at = Instant::now();
        self.latency.record(Stage::Decode, decoded_at - start);
        if (decoded.width, decoded.height) != (calibration.width, calibration.height) {
            return Err(CameraError::SizeMismatch {
                topic: topic.into(),
                width: decoded.width,
                height: decoded.height,
                expected_width: calibration.width,
                expected_height: calibration.height,
                calibration: self.calibration_origin.clone(),
            });
        }
        let mut header = header.clone();
        if !self.params.frame_id.is_empty() {
            header.frame_id.clone_from(&self.params.frame_id);
        }
        if !self.params.rectify {
            let info = calibration.to_camera_info(header.clone());
            return Ok(CameraOutput {
                image: into_message(decoded, header),
                info,
                remapped: false,
            });
        }
        let rectifier = self.rectifier(&calibration).map_err(|e| match e {
            RectifyError::Uncalibrated => CameraError::Uncalibrated { topic: topic.into() },
            RectifyError::Unsupported { model, why } => {
                CameraError::UnsupportedDistortion { topic: topic.into(), model, why }
            }
            singular @ RectifyError::Singular => CameraError::UnsupportedDistortion {
                topic: topic.into(),
                model: calibration.distortion_model.clone(),
                why: singular.to_string(),
            },
        })?;
        let info = calibration.rectified_camera_info(header.clone());
        let (image, remapped) = match &*rectifier {
            Rectifier::Identity => (into_message(decoded, header), false),
            Rectifier::Map(map) => {
                let pixels = map.remap(decoded.data());
                self.latency.record(Stage::Rectify, decoded_at.elapsed());
                (into_message(RgbImage::new(decoded.width, decoded.height, pixels), header), true)
            }
        };
        Ok(CameraOutput { image, info, remapped })
    }

    /// The rectifier of `calibration`, from the cache or computed (and cached) now.
    fn rectifier(
        &mut self,
        calibration: &CameraCalibration,
    ) -> Result<Arc<Rectifier>, RectifyError> {
        if let Some(cached) = self.cache.as_ref().filter(|c| &c.calibration == calibration) {
            return cached.rectifier.clone();
        }
        let rectifier = if calibration.is_rectified() {
            Ok(Arc::new(Rectifier::Identity))
        } else {
            let built = RectifyMap::new(calibration, self.params.interpolation);
            if built.is_ok() {
                self.stats.increment(Counter::MapsBuilt);
                tracing::debug!(
                    "camera: rectification map built for {} x {} ({})",
                    calibration.width,
                    calibration.height,
                    calibration.distortion_model
                );
            }
            built.map(|map| Arc::new(Rectifier::Map(map)))
        };
        self.cache = Some(CachedRectifier {
            calibration: calibration.clone(),
            rectifier: rectifier.clone(),
        });
        rectifier
    }

    /// A runtime gave input port `input` a message of another type.
    pub(crate) fn count_unexpected_input(&mut self, input: usize) {
        self.stats.increment(Counter::WrongMessageType);
        tracing::warn!(
            "camera: wrong_message_type: input port {input} got a message of another type"
        );
    }

    fn reject(&mut self, error: CameraError) -> CameraError {
        self.stats.increment(error.counter());
        tracing::warn!("camera: {}: {error}", error.counter().name());
        error
    }
}

/// The rgb8 Image message of decoded pixels. An input rgb8 message is reused when the header
/// is the same (no copy); otherwise the pixels move into a new message.
fn into_message(decoded: RgbImage, header: Header) -> Arc<Image> {
    let (width, height) = (decoded.width, decoded.height);
    let data = match decoded.pixels {
        Pixels::Shared(image) if image.header == header => return image,
        Pixels::Shared(image) => Arc::unwrap_or_clone(image).data,
        Pixels::Owned(data) => data,
    };
    Arc::new(Image {
        header,
        height,
        width,
        encoding: "rgb8".to_string(),
        is_bigendian: 0,
        step: 3 * width,
        data,
    })
}
