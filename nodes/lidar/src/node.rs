//! The lidar node's core: `/tf_static` and PointCloud2 in, cleaned cloud, BEV grid and
//! clustered objects out, no transport. The parallel stages run on the node's own rayon pool
//! (`threads` parameter), so callers need not know about rayon.

use crate::error::{LidarError, StartError};
use crate::params::LidarParams;
use crate::stats::{Counter, LidarStats, Stage, StageLatency};
use crate::{cluster, grid, ground, points, voxel};
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::edgefusion::DetectedObjectArray;
use edgefusion_msgs::nav_msgs::OccupancyGrid;
use edgefusion_msgs::sensor_msgs::{packed_xyzi, PointCloud2, PointCloudReader};
use edgefusion_msgs::std_msgs::Header;
use edgefusion_msgs::tf2_msgs::TFMessage;
use edgefusion_tf::TransformBuffer;
use std::sync::Arc;
use std::time::Instant;

/// What one cloud yields. The messages carry the cloud's stamp and `output_frame`.
#[derive(Debug, Clone, PartialEq)]
pub struct LidarOutput {
    /// The non-ground points (after crop and voxel grid) in the packed layout: one row of
    /// little-endian float32 x, y, z, intensity at offsets 0, 4, 8, 12, point_step 16
    /// (`sensor_msgs::packed_xyzi`); intensity as the input gave it (voxel mean).
    pub cloud: PointCloud2,
    /// BEV occupancy: 0 free, 100 occupied, -1 unknown.
    pub grid: OccupancyGrid,
    /// The non-ground points up to `grid.max_obstacle_height` above the ground, clustered:
    /// one upright box each, class unknown, nearest the sensor first (`cluster.rs`). None when
    /// `cluster.enabled` is false.
    pub objects: Option<DetectedObjectArray>,
    pub summary: CloudSummary,
}

/// Point counts of one cloud through the stages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CloudSummary {
    pub points_in: usize,
    pub non_finite: usize,
    pub cropped: usize,
    pub ego: usize,
    /// Points after the voxel grid.
    pub voxels: usize,
    pub ground: usize,
    /// Non-ground points, those in the output cloud.
    pub obstacles: usize,
    /// Clusters published as objects, and those dropped by reason (all 0 when clustering is
    /// off).
    pub clusters: usize,
    pub clusters_too_few_points: usize,
    pub clusters_too_many_points: usize,
    pub clusters_too_long: usize,
}

/// Lidar preprocessing: transform to `output_frame`, crop, voxel grid, ground segmentation,
/// occupancy grid, clustering.
pub struct LidarNode {
    params: LidarParams,
    tf: TransformBuffer,
    stats: LidarStats,
    latency: StageLatency,
    /// `params.threads` workers. Shared so that `on_cloud` can run `&mut self` on it.
    pool: Arc<rayon::ThreadPool>,
}

impl LidarNode {
    /// The node's name in parameter files and logs.
    pub const NAME: &'static str = "lidar";

    /// A node with checked parameters and its worker pool started.
    pub fn new(params: LidarParams) -> Result<Self, StartError> {
        params.validate("lidar parameters")?;
        let threads = params.threads;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("lidar-{i}"))
            .build()
            .map_err(|source| StartError::Threads { threads, source })?;
        Ok(Self {
            params,
            tf: TransformBuffer::new(),
            stats: LidarStats::default(),
            latency: StageLatency::default(),
            pool: Arc::new(pool),
        })
    }

    pub fn params(&self) -> &LidarParams {
        &self.params
    }

    pub fn stats(&self) -> &LidarStats {
        &self.stats
    }

    pub fn latency(&self) -> &StageLatency {
        &self.latency
    }

    pub fn transforms(&self) -> &TransformBuffer {
        &self.tf
    }

    /// `/tf_static`: all transforms of the message, or none if one is invalid.
    pub fn on_tf_static(&mut self, message: &TFMessage) -> Result<(), LidarError> {
        self.stats.increment(Counter::TfStaticReceived);
        self.tf
            .add_message(message)
            .map(|_| ())
            .map_err(|e| self.reject(LidarError::BadTfStatic(Box::new(e))))
    }

    /// `/sensing/lidar/points`: the cleaned cloud, the occupancy grid and the clustered
    /// objects, stamped with the cloud's stamp. A cloud whose points all fall outside the crop
    /// box is not an error: it yields an empty cloud, an all-unknown grid and no objects (and
    /// counts `empty_cloud`).
    pub fn on_cloud(&mut self, cloud: &PointCloud2) -> Result<LidarOutput, LidarError> {
        let stamp = cloud.header.stamp;
        let stamp_text = format!("{}.{:09}", stamp.sec, stamp.nanosec);
        let span = tracing::debug_span!("lidar_cloud", stamp = %stamp_text);
        let _entered = span.enter();
        self.stats.increment(Counter::CloudsReceived);
        let pool = Arc::clone(&self.pool);
        // The stages run on a pool thread (the caller's waits); the span follows them there.
        let result = pool.install(|| span.in_scope(|| self.process(cloud)));
        match result {
            Ok(output) => {
                self.stats.increment(Counter::Outputs);
                Ok(output)
            }
            Err(e) => Err(self.reject(e)),
        }
    }

    fn process(&mut self, cloud: &PointCloud2) -> Result<LidarOutput, LidarError> {
        let start = Instant::now();
        let frame = &cloud.header.frame_id;
        let p = &self.params;
        let reader = PointCloudReader::new(cloud)
            .map_err(|source| LidarError::Layout { frame: frame.clone(), source })?;
        let transform = self.tf.lookup(&p.output_frame, frame).map_err(|source| {
            LidarError::TransformUnavailable {
                frame: frame.clone(),
                target: p.output_frame.clone(),
                source: Box::new(source),
            }
        })?;
        let transform = transform.cast::<f32>();
        let sensor = transform.translation.vector;
        let sensor_xy = [sensor.x, sensor.y];
        let mut summary = CloudSummary { points_in: reader.len(), ..Default::default() };
        let (mut pts, non_finite) = points::read_transformed(&reader, &transform);
        summary.non_finite = non_finite as usize;
        let mut t = lap(&mut self.latency, Stage::Transform, start);

        let (cropped, ego) = points::crop(&mut pts, &p.crop, &p.ego_box);
        (summary.cropped, summary.ego) = (cropped as usize, ego as usize);
        t = lap(&mut self.latency, Stage::Crop, t);

        let pts = voxel::downsample(pts, p.voxel_size, p.crop.min, p.crop.max);
        summary.voxels = pts.len();
        t = lap(&mut self.latency, Stage::Voxel, t);

        let heights = ground::heights_above_ground(&pts, sensor_xy, &p.ground, p.bins_per_sector());
        let threshold = p.ground.height_threshold;
        t = lap(&mut self.latency, Stage::Ground, t);

        let cells = grid::occupancy(&pts, &heights, threshold, sensor_xy, &p.grid);
        t = lap(&mut self.latency, Stage::Grid, t);

        let header = Header::new(stamp_of(cloud), &p.output_frame);
        let objects = if p.cluster.enabled {
            // Overhangs (branches, signs) are left out as in the grid: in BEV they would join
            // whatever stands under them.
            let (xyz, ground_z): (Vec<[f32; 3]>, Vec<f32>) = pts
                .iter()
                .zip(&heights)
                .filter(|(_, h)| **h > threshold && **h <= p.grid.max_obstacle_height)
                .map(|(q, h)| ([q[0], q[1], q[2]], q[2] - h))
                .unzip();
            let c = cluster::cluster(&xyz, &ground_z, sensor_xy, &p.cluster);
            summary.clusters = c.clusters.len();
            summary.clusters_too_few_points = c.too_few_points;
            summary.clusters_too_many_points = c.too_many_points;
            summary.clusters_too_long = c.too_long;
            let message =
                cluster::objects_message(&c.clusters, p.cluster.min_points, header.clone());
            t = lap(&mut self.latency, Stage::Cluster, t);
            Some(message)
        } else {
            None
        };

        let mut data = Vec::with_capacity(16 * pts.len());
        for (point, _) in pts.iter().zip(&heights).filter(|(_, h)| **h > threshold) {
            for v in point {
                data.extend_from_slice(&v.to_le_bytes());
            }
        }
        summary.obstacles = data.len() / 16;
        summary.ground = pts.len() - summary.obstacles;
        let output = LidarOutput {
            cloud: packed_xyzi(header, data),
            grid: grid::message(cells, &p.grid, &p.output_frame, stamp_of(cloud)),
            objects,
            summary,
        };
        lap(&mut self.latency, Stage::Output, t);
        self.latency.record(Stage::Total, start.elapsed());
        self.count(&summary);
        Ok(output)
    }

    fn count(&mut self, s: &CloudSummary) {
        let counts = [
            (Counter::PointsIn, s.points_in),
            (Counter::NonFinitePoints, s.non_finite),
            (Counter::CroppedPoints, s.cropped),
            (Counter::EgoPoints, s.ego),
            (Counter::VoxelMergedPoints, s.points_in - s.non_finite - s.cropped - s.ego - s.voxels),
            (Counter::GroundPoints, s.ground),
            (Counter::ObstaclePoints, s.obstacles),
            (Counter::ClustersPublished, s.clusters),
            (Counter::ClustersTooFewPoints, s.clusters_too_few_points),
            (Counter::ClustersTooManyPoints, s.clusters_too_many_points),
            (Counter::ClustersTooLong, s.clusters_too_long),
        ];
        for (counter, n) in counts {
            self.stats.add(counter, n as u64);
        }
        if s.voxels == 0 {
            self.stats.increment(Counter::EmptyCloud);
            tracing::debug!("lidar: no point left after cropping ({} in)", s.points_in);
        }
    }

    /// A runtime gave input port `input` a message of another type.
    pub(crate) fn count_unexpected_input(&mut self, input: usize) {
        self.stats.increment(Counter::WrongMessageType);
        tracing::warn!(
            "lidar: wrong_message_type: input port {input} got a message of another type"
        );
    }

    fn reject(&mut self, error: LidarError) -> LidarError {
        self.stats.increment(error.counter());
        tracing::warn!("lidar: {error}");
        error
    }
}

/// Records the time since `since` for `stage`; returns now.
fn lap(latency: &mut StageLatency, stage: Stage, since: Instant) -> Instant {
    let now = Instant::now();
    latency.record(stage, now - since);
    now
}

fn stamp_of(cloud: &PointCloud2) -> Time {
    cloud.header.stamp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_has_the_threads_the_parameter_asks_for() {
        for threads in [1, 3] {
            let node = LidarNode::new(LidarParams { threads, ..Default::default() }).unwrap();
            assert_eq!(node.pool.current_num_threads(), threads);
            // The stages run on the node's workers, not on the caller's thread.
            let name = node.pool.install(|| std::thread::current().name().map(str::to_string));
            assert!(name.is_some_and(|n| n.starts_with("lidar-")));
        }
        let bad = LidarParams { voxel_size: -1.0, ..Default::default() };
        assert!(matches!(LidarNode::new(bad), Err(StartError::Params(_))));
    }
}
