//! One KITTI frame: where its files are, and loading them into messages.

use crate::calib::Calibration;
use crate::convert;
use crate::error::{KittiError, MissingFile};
use crate::labels::parse_labels;
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::edgefusion::DetectedObjectArray;
use edgefusion_msgs::sensor_msgs::{CameraInfo, Image, PointCloud2};
use edgefusion_msgs::tf2_msgs::TFMessage;
use std::path::{Path, PathBuf};

/// Where a frame's files would be. A path is `None` when the layout has no place for that file
/// (a folder of `.bin` files has no images); a `Some` path may still not exist, which means the
/// frame lacks that data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FrameFiles {
    pub id: String,
    pub lidar: Option<PathBuf>,
    pub image: Option<PathBuf>,
    pub calib: Option<PathBuf>,
    pub label: Option<PathBuf>,
}

/// A frame converted to messages; all share `stamp_ns`. Where they go (the CLI's topics, per
/// DESIGN.md): `cloud` -> /sensing/lidar/points, `image` -> /sensing/camera/front/image_raw,
/// `camera_info` -> /sensing/camera/front/camera_info, `static_tf` -> /tf_static,
/// `ground_truth` -> a ground-truth objects topic (e.g. /perception/ground_truth/objects).
#[derive(Clone, Debug, PartialEq)]
pub struct KittiFrame {
    /// KITTI frame id (`000008`), or the frame folder's name.
    pub id: String,
    pub stamp_ns: i64,
    /// Frame `lidar_top`, fields x, y, z, intensity (float32), the `.bin` bytes unchanged.
    pub cloud: Option<PointCloud2>,
    /// Frame `camera_front_optical`, `rgb8` (or `mono8` for gray PNGs).
    pub image: Option<Image>,
    /// Needs both an image (for its size) and calibration; `None` otherwise.
    pub camera_info: Option<CameraInfo>,
    /// `base_link -> lidar_top` always (identity without Tr_imu_to_velo), plus
    /// `lidar_top -> camera_front_optical` when there is calibration.
    pub static_tf: Option<TFMessage>,
    /// Labelled objects in `lidar_top`; needs labels and calibration.
    pub ground_truth: Option<DetectedObjectArray>,
    /// Files that are absent although other data of the frame needs them (e.g. an image without
    /// calibration gives no camera_info).
    pub warnings: Vec<MissingFile>,
}

impl FrameFiles {
    /// Reads the frame's files and converts them. Missing files leave their messages `None`
    /// (and a warning when other data needed them); unreadable or malformed files are errors.
    pub fn load(&self, stamp_ns: i64) -> Result<KittiFrame, KittiError> {
        let stamp = Time::from_nanos(stamp_ns);
        let lidar = existing(&self.lidar);
        let image = existing(&self.image);
        let calib = existing(&self.calib);
        let label = existing(&self.label);

        let cloud = lidar
            .map(|path| read_lidar(path).map(|data| convert::point_cloud(data, stamp)))
            .transpose()?;
        let image = image
            .map(|path| {
                let bytes = std::fs::read(path).map_err(|e| KittiError::io(path, e))?;
                convert::decode_png(&bytes, path, stamp)
            })
            .transpose()?;
        let calibration = calib.map(Calibration::parse).transpose()?;
        let labels = label.map(parse_labels).transpose()?;

        let mut warnings = Vec::new();
        if calibration.is_none() && (image.is_some() || labels.is_some()) {
            if let Some(path) = &self.calib {
                warnings.push(MissingFile {
                    path: path.clone(),
                    consequence: "no camera_info, no lidar_top -> camera_front_optical transform and no ground truth",
                });
            }
        }
        if labels.is_some() && cloud.is_none() {
            if let Some(path) = &self.lidar {
                warnings.push(MissingFile {
                    path: path.clone(),
                    consequence: "ground-truth boxes have num_points 0",
                });
            }
        }
        for warning in &warnings {
            tracing::warn!("frame {}: {warning}", self.id);
        }

        let camera_info = match (&calibration, &image) {
            (Some(c), Some(i)) => Some(convert::camera_info(c, i.width, i.height, stamp)),
            _ => None,
        };
        let ground_truth = match (&calibration, &labels) {
            (Some(c), Some(l)) => Some(convert::ground_truth(l, c, cloud.as_ref(), stamp)),
            _ => None,
        };
        // Without any sensor data there is nothing for the transforms to place.
        let static_tf = (cloud.is_some() || image.is_some() || calibration.is_some())
            .then(|| convert::static_transforms(calibration.as_ref(), stamp));

        Ok(KittiFrame {
            id: self.id.clone(),
            stamp_ns,
            cloud,
            image,
            camera_info,
            static_tf,
            ground_truth,
            warnings,
        })
    }
}

fn existing(path: &Option<PathBuf>) -> Option<&Path> {
    path.as_deref().filter(|p| p.is_file())
}

/// Reads a Velodyne `.bin`, checking that it holds whole points.
pub fn read_lidar(path: &Path) -> Result<Vec<u8>, KittiError> {
    let data = std::fs::read(path).map_err(|e| KittiError::io(path, e))?;
    if data.len() % convert::POINT_STEP != 0 {
        return Err(KittiError::LidarSize { path: path.to_path_buf(), len: data.len() as u64 });
    }
    Ok(data)
}
