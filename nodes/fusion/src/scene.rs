//! Frames waiting for the lidar node's products of their cloud (occupancy grid, clusters)
//! before the tracker and `/perception/scene` take them.
//!
//! The lidar node works on the same cloud in parallel and stamps its grid and clusters with the
//! cloud's stamp, so they join a frame by exact stamp. A frame leaves once its products are
//! in, or it cannot get them: the lidar node has moved past the cloud (dropped it), or the
//! frame has waited `wait` (in sensor time: a frame that much newer; or in node time, on a
//! tick). Until the lidar node is heard from, a grid is expected; if the first wait passes
//! without one, the node runs without (no lidar node in this stack) and frames stop waiting.
//! Frames leave in order, so the tracker sees time run forward.

use crate::sync::Frame;
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::edgefusion::DetectedObjectArray;
use edgefusion_msgs::nav_msgs::OccupancyGrid;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// Lidar node products kept per cloud stamp, at most (they may come before their frame).
const KEPT_PRODUCTS: usize = 32;

/// A frame after the model: its detections, waiting for the lidar node.
#[derive(Debug, Clone)]
pub struct Detected {
    pub frame: Frame,
    pub detections: DetectedObjectArray,
}

/// A frame with everything it will get.
#[derive(Debug, Clone)]
pub struct Assembled {
    pub detected: Detected,
    pub grid: Option<Arc<OccupancyGrid>>,
    pub lidar_objects: Option<Arc<DetectedObjectArray>>,
}

#[derive(Debug, Clone, Default)]
struct Products {
    grid: Option<Arc<OccupancyGrid>>,
    objects: Option<Arc<DetectedObjectArray>>,
}

struct Waiting {
    detected: Detected,
    /// Node time at arrival.
    arrived: i64,
}

pub struct SceneAssembler {
    wait_ns: i64,
    waiting: VecDeque<Waiting>,
    products: BTreeMap<i64, Products>,
    /// Which products the lidar node publishes (seen at least once).
    grids_seen: bool,
    objects_seen: bool,
    /// A wait passed before the lidar node was ever heard from: it is not running.
    no_lidar_node: bool,
    newest_product: Option<i64>,
}

impl SceneAssembler {
    pub fn new(wait_ns: i64) -> Self {
        Self {
            wait_ns,
            waiting: VecDeque::new(),
            products: BTreeMap::new(),
            grids_seen: false,
            objects_seen: false,
            no_lidar_node: false,
            newest_product: None,
        }
    }

    /// A frame's detections at node time `now`.
    pub fn on_detected(&mut self, detected: Detected, now: Time) -> Vec<Assembled> {
        self.waiting.push_back(Waiting { detected, arrived: now.as_nanos() });
        self.release(None)
    }

    pub fn on_grid(&mut self, grid: Arc<OccupancyGrid>) -> Vec<Assembled> {
        self.grids_seen = true;
        let stamp = grid.header.stamp.as_nanos();
        self.product(stamp).grid = Some(grid);
        self.release(None)
    }

    pub fn on_lidar_objects(&mut self, objects: Arc<DetectedObjectArray>) -> Vec<Assembled> {
        self.objects_seen = true;
        let stamp = objects.header.stamp.as_nanos();
        self.product(stamp).objects = Some(objects);
        self.release(None)
    }

    pub fn on_tick(&mut self, now: Time) -> Vec<Assembled> {
        self.release(Some(now.as_nanos()))
    }

    /// The inputs ended: every frame leaves with what it has.
    pub fn flush(&mut self) -> Vec<Assembled> {
        std::iter::from_fn(|| self.pop_front()).collect()
    }

    fn product(&mut self, stamp: i64) -> &mut Products {
        if self.newest_product.is_some_and(|newest| stamp < newest) {
            // Time went backwards (a bag replayed again): older products belong to another run.
            self.products.retain(|&s, _| s <= stamp);
        }
        self.newest_product = Some(stamp);
        while self.products.len() >= KEPT_PRODUCTS {
            self.products.pop_first();
        }
        self.products.entry(stamp).or_default()
    }

    fn release(&mut self, now: Option<i64>) -> Vec<Assembled> {
        let mut out = Vec::new();
        while let Some(head) = self.waiting.front() {
            let (can_leave, complete) = self.can_leave(head, now);
            if !can_leave {
                break;
            }
            let never_heard = !(self.grids_seen || self.objects_seen || self.no_lidar_node);
            if !complete && never_heard {
                self.no_lidar_node = true;
                tracing::warn!(
                    "no grid or clusters from the lidar node within scene.lidar_wait_ms: \
                     scenes go on without free space, frames no longer wait"
                );
            }
            out.extend(self.pop_front());
        }
        out
    }

    /// Whether the head frame can leave, and whether it has all it waits for.
    fn can_leave(&self, head: &Waiting, now: Option<i64>) -> (bool, bool) {
        let Some(cloud) = head.detected.frame.cloud.as_ref() else {
            return (true, true); // camera only: the lidar node has nothing for it
        };
        let stamp = cloud.header.stamp.as_nanos();
        let products = self.products.get(&stamp);
        let heard = self.grids_seen || self.objects_seen;
        let expect_grid = self.grids_seen || !(heard || self.no_lidar_node);
        let complete = (!expect_grid || products.is_some_and(|p| p.grid.is_some()))
            && (!self.objects_seen || products.is_some_and(|p| p.objects.is_some()));
        let passed = self.newest_product.is_some_and(|newest| newest > stamp);
        let newest_frame = self.waiting.back().map(|w| w.detected.frame.stamp().as_nanos());
        let waited_in_sensor_time = newest_frame.is_some_and(|t| t - stamp >= self.wait_ns);
        let waited_in_node_time = now.is_some_and(|now| now - head.arrived >= self.wait_ns);
        (complete || passed || waited_in_sensor_time || waited_in_node_time, complete)
    }

    fn pop_front(&mut self) -> Option<Assembled> {
        let head = self.waiting.pop_front()?;
        let stamp = head.detected.frame.cloud.as_ref().map(|c| c.header.stamp.as_nanos());
        let products = stamp.and_then(|s| self.products.remove(&s)).unwrap_or_default();
        Some(Assembled {
            detected: head.detected,
            grid: products.grid,
            lidar_objects: products.objects,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgefusion_msgs::sensor_msgs::{Image, PointCloud2};

    const MS: i64 = 1_000_000;

    fn detected(cloud_ms: Option<i64>) -> Detected {
        let cloud = cloud_ms.map(|ms| {
            let mut cloud = PointCloud2::default();
            cloud.header.stamp = Time::from_nanos(ms * MS);
            Arc::new(cloud)
        });
        let image = cloud_ms.is_none().then(|| Arc::new(Image::default()));
        Detected { frame: Frame { cloud, image }, detections: DetectedObjectArray::default() }
    }

    fn grid(ms: i64) -> Arc<OccupancyGrid> {
        let mut grid = OccupancyGrid::default();
        grid.header.stamp = Time::from_nanos(ms * MS);
        Arc::new(grid)
    }

    fn objects(ms: i64) -> Arc<DetectedObjectArray> {
        let mut objects = DetectedObjectArray::default();
        objects.header.stamp = Time::from_nanos(ms * MS);
        Arc::new(objects)
    }

    fn now(ms: i64) -> Time {
        Time::from_nanos(ms * MS)
    }

    fn grid_stamps(out: &[Assembled]) -> Vec<Option<i64>> {
        out.iter().map(|a| a.grid.as_ref().map(|g| g.header.stamp.as_nanos() / MS)).collect()
    }

    #[test]
    fn without_a_lidar_node_frames_wait_once_then_no_more() {
        let mut scene = SceneAssembler::new(100 * MS);
        // The first frame waits for a grid; none comes within the wait.
        assert!(scene.on_detected(detected(Some(1000)), now(1000)).is_empty());
        assert_eq!(grid_stamps(&scene.on_detected(detected(Some(1100)), now(1100))), [None, None]);
        assert_eq!(grid_stamps(&scene.on_detected(detected(Some(1200)), now(1200))), [None]);
    }

    #[test]
    fn a_frame_waits_for_the_grid_and_objects_of_its_cloud() {
        let mut scene = SceneAssembler::new(100 * MS);
        scene.on_grid(grid(900));
        scene.on_lidar_objects(objects(900));
        assert!(scene.on_detected(detected(Some(1000)), now(1000)).is_empty());
        assert!(scene.on_grid(grid(1000)).is_empty(), "the clusters are still missing");
        let out = scene.on_lidar_objects(objects(1000));
        assert_eq!(grid_stamps(&out), [Some(1000)]);
        assert!(out[0].lidar_objects.is_some());
        // Products that came first are found when the frame comes.
        scene.on_grid(grid(1100));
        scene.on_lidar_objects(objects(1100));
        assert_eq!(grid_stamps(&scene.on_detected(detected(Some(1100)), now(1100))), [Some(1100)]);
    }

    #[test]
    fn a_frame_the_lidar_node_skipped_leaves_without_its_products() {
        let mut scene = SceneAssembler::new(100 * MS);
        scene.on_grid(grid(900));
        assert!(scene.on_detected(detected(Some(1000)), now(1000)).is_empty());
        // The lidar node's next grid is for a newer cloud: it dropped this one.
        assert_eq!(grid_stamps(&scene.on_grid(grid(1100))), [None]);
        // A frame that waited camera_wait in node time leaves on a tick; camera-only frames
        // never wait.
        assert!(scene.on_detected(detected(Some(1200)), now(1200)).is_empty());
        assert!(scene.on_tick(now(1250)).is_empty());
        assert_eq!(grid_stamps(&scene.on_tick(now(1300))), [None]);
        assert_eq!(scene.on_detected(detected(None), now(1300)).len(), 1);
        assert!(scene.on_detected(detected(Some(1400)), now(1400)).is_empty());
        assert_eq!(grid_stamps(&scene.flush()), [None]);
    }
}
