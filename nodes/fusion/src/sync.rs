//! Camera/lidar pairing by approximate time, lidar as the main sensor.
//!
//! The policy of message_filters' ApproximateTime, specialised to one pivot: every cloud is
//! paired with the image nearest to it in time, if one lies within `max_interval`. Stamps are
//! first corrected by each sensor's offset (a known exposure or driver delay). A pairing is
//! final as soon as no image still to come can be nearer: images of one topic arrive in stamp
//! order, and no two are closer than `camera_min_period` (ApproximateTime's inter-message lower
//! bound), so the next image is at least that far after the newest one seen.
//!
//! Unlike ApproximateTime this never stalls on a missing sensor (the degradation
//! rules): a cloud that has waited `camera_wait` for its image (in sensor time: a newer cloud
//! that much later; or in node time, on a tick) goes on with the best image so far or none;
//! an image with no cloud for `lidar_timeout` goes on alone. Clouds leave in stamp order, so the
//! tracker downstream sees time run forward. A stamp older than its topic's previous one (a bag
//! replayed from the start, a clock reset) ends every pending pairing and starts over.

use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::sensor_msgs::{Image, PointCloud2};
use std::collections::VecDeque;
use std::sync::Arc;

/// Parameters of the pairing (`sync.*`), in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyncParams {
    /// Images kept for pairing, and clouds waiting for an image, at most.
    pub queue_size: usize,
    /// A cloud and an image pair only if their corrected stamps differ by at most this.
    pub max_interval_ns: i64,
    /// Added to image stamps before pairing (positive: the image was taken later than stamped).
    pub camera_offset_ns: i64,
    /// Added to cloud stamps before pairing.
    pub lidar_offset_ns: i64,
    /// Two images are at least this far apart (a lower bound of the camera period; 0 = none).
    pub camera_min_period_ns: i64,
    /// A cloud waits at most this long for its image.
    pub camera_wait_ns: i64,
    /// Images with no cloud for this long go on alone (the lidar is missing).
    pub lidar_timeout_ns: i64,
}

impl Default for SyncParams {
    fn default() -> Self {
        Self {
            queue_size: 10,
            max_interval_ns: 50_000_000,
            camera_offset_ns: 0,
            lidar_offset_ns: 0,
            camera_min_period_ns: 20_000_000,
            camera_wait_ns: 100_000_000,
            lidar_timeout_ns: 300_000_000,
        }
    }
}

/// What goes on to the model: a cloud with its image, or one of them alone.
#[derive(Debug, Clone)]
pub struct Frame {
    pub cloud: Option<Arc<PointCloud2>>,
    pub image: Option<Arc<Image>>,
}

impl Frame {
    /// The newest sensor stamp in the frame (the stamp of everything made from it).
    pub fn stamp(&self) -> Time {
        let cloud = self.cloud.as_ref().map(|c| c.header.stamp);
        let image = self.image.as_ref().map(|i| i.header.stamp);
        cloud.max(image).unwrap_or_default()
    }
}

/// Something worth a counter that the pairing noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncEvent {
    /// A stamp older than the previous one on its topic: pending pairings flushed, state reset.
    TimeJumpedBack,
    /// The wait queue was full: its oldest cloud went on without waiting for its image.
    CloudQueueFull,
}

struct HeldImage {
    /// Corrected stamp.
    t: i64,
    image: Arc<Image>,
    used: bool,
}

struct PendingCloud {
    /// Corrected stamp.
    t: i64,
    cloud: Arc<PointCloud2>,
    /// Node time at arrival, for the wait measured on ticks.
    arrived: i64,
}

/// The pairing state (transport-free; fed in arrival order).
pub struct CameraLidarSync {
    params: SyncParams,
    /// Images by corrected stamp, ascending, and whether a cloud has used it.
    images: VecDeque<HeldImage>,
    clouds: VecDeque<PendingCloud>,
    last_image_t: Option<i64>,
    last_cloud_t: Option<i64>,
    /// Since when the lidar has been silent: the last cloud, or the first image without one.
    lidar_silent_since: Option<i64>,
    events: Vec<SyncEvent>,
}

impl CameraLidarSync {
    pub fn new(params: SyncParams) -> Self {
        Self {
            params,
            images: VecDeque::new(),
            clouds: VecDeque::new(),
            last_image_t: None,
            last_cloud_t: None,
            lidar_silent_since: None,
            events: Vec::new(),
        }
    }

    pub fn params(&self) -> &SyncParams {
        &self.params
    }

    /// Events since the last call.
    pub fn take_events(&mut self) -> Vec<SyncEvent> {
        std::mem::take(&mut self.events)
    }

    /// Clouds waiting for their image.
    pub fn pending(&self) -> usize {
        self.clouds.len()
    }

    /// An image arrives; returns the frames it completes (in stamp order).
    pub fn on_image(&mut self, image: Arc<Image>) -> Vec<Frame> {
        let t = image.header.stamp.as_nanos().saturating_add(self.params.camera_offset_ns);
        let mut frames = Vec::new();
        if self.last_image_t.is_some_and(|last| t < last) {
            frames.extend(self.restart());
        }
        self.last_image_t = Some(t);
        let silent_since = *self.lidar_silent_since.get_or_insert(t);
        self.images.push_back(HeldImage { t, image, used: false });
        if self.clouds.is_empty() && t - silent_since > self.params.lidar_timeout_ns {
            // The lidar is missing: this image and those held for a cloud go on alone.
            frames.extend(self.images_alone());
            return frames;
        }
        if self.images.len() > self.params.queue_size {
            self.images.pop_front();
        }
        frames.extend(self.release(None));
        frames
    }

    /// The held images no cloud has used and no later cloud can use (newer than the newest
    /// cloud, so that frames stay in stamp order), as camera-only frames; all held images
    /// are then dropped.
    fn images_alone(&mut self) -> Vec<Frame> {
        let newest_cloud = self.last_cloud_t.unwrap_or(i64::MIN);
        let alone = self.images.drain(..).filter(|held| !held.used && held.t > newest_cloud);
        alone.map(|held| Frame { cloud: None, image: Some(held.image) }).collect()
    }

    /// A cloud arrives at node time `now`; returns the frames now complete (in stamp order).
    pub fn on_cloud(&mut self, cloud: Arc<PointCloud2>, now: Time) -> Vec<Frame> {
        let t = cloud.header.stamp.as_nanos().saturating_add(self.params.lidar_offset_ns);
        let mut frames = Vec::new();
        if self.last_cloud_t.is_some_and(|last| t < last) {
            frames.extend(self.restart());
        }
        self.last_cloud_t = Some(t);
        self.lidar_silent_since = Some(t);
        self.clouds.push_back(PendingCloud { t, cloud, arrived: now.as_nanos() });
        if self.clouds.len() > self.params.queue_size {
            self.events.push(SyncEvent::CloudQueueFull);
            frames.extend(self.pop_front_cloud());
        }
        frames.extend(self.release(None));
        frames
    }

    /// Node time passes (`now`): clouds that have waited `camera_wait` since they arrived go on.
    pub fn on_tick(&mut self, now: Time) -> Vec<Frame> {
        self.release(Some(now.as_nanos()))
    }

    /// The inputs ended: every waiting cloud goes on with the best image it has, then the
    /// images too new for any cloud go on alone.
    pub fn flush(&mut self) -> Vec<Frame> {
        let mut frames: Vec<Frame> = std::iter::from_fn(|| self.pop_front_cloud()).collect();
        let newest_cloud = self.last_cloud_t.unwrap_or(i64::MIN);
        let max_interval = self.params.max_interval_ns;
        self.images.retain(|held| held.t > newest_cloud.saturating_add(max_interval));
        frames.extend(self.images_alone());
        frames
    }

    /// Waiting clouds whose pairing is final, oldest first; stops at the first that must wait
    /// (clouds leave in order).
    fn release(&mut self, now: Option<i64>) -> Vec<Frame> {
        let mut frames = Vec::new();
        while let Some(head) = self.clouds.front() {
            let waited_in_sensor_time = self
                .last_cloud_t
                .is_some_and(|newest| newest - head.t >= self.params.camera_wait_ns);
            let waited_in_node_time =
                now.is_some_and(|now| now - head.arrived >= self.params.camera_wait_ns);
            if !(self.is_final(head.t) || waited_in_sensor_time || waited_in_node_time) {
                break;
            }
            frames.extend(self.pop_front_cloud());
        }
        frames
    }

    /// Whether no image still to come can pair with a cloud at `t` better than the best one
    /// held (or, with none held, at all).
    fn is_final(&self, t: i64) -> bool {
        let Some(last) = self.last_image_t else { return false };
        let earliest_next = last.saturating_add(self.params.camera_min_period_ns);
        match self.best_image(t) {
            Some((_, dt)) => earliest_next - t >= dt,
            None => earliest_next - t > self.params.max_interval_ns,
        }
    }

    /// The held image nearest to `t` within max_interval: its index and distance.
    fn best_image(&self, t: i64) -> Option<(usize, i64)> {
        self.images
            .iter()
            .enumerate()
            .map(|(i, held)| (i, (held.t - t).abs()))
            .filter(|(_, dt)| *dt <= self.params.max_interval_ns)
            .rev() // the newest of equally near images (a frame sent again)
            .min_by_key(|(_, dt)| *dt)
    }

    /// The oldest waiting cloud with its best image now. Images too old for any later cloud
    /// are dropped; the chosen one stays (a slower camera pairs one image with two clouds).
    fn pop_front_cloud(&mut self) -> Option<Frame> {
        let head = self.clouds.pop_front()?;
        let best = self.best_image(head.t).and_then(|(i, _)| self.images.get_mut(i));
        let image = best.map(|held| {
            held.used = true;
            Arc::clone(&held.image)
        });
        let frame = Frame { cloud: Some(head.cloud), image };
        let oldest_useful = head.t - self.params.max_interval_ns;
        while self.images.front().is_some_and(|held| held.t < oldest_useful) {
            self.images.pop_front();
        }
        Some(frame)
    }

    /// Time went backwards: what waits goes on as it is, then everything starts afresh.
    fn restart(&mut self) -> Vec<Frame> {
        self.events.push(SyncEvent::TimeJumpedBack);
        let frames = self.flush();
        self.images.clear();
        self.last_image_t = None;
        self.last_cloud_t = None;
        self.lidar_silent_since = None;
        frames
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;

    fn image(ms: i64) -> Arc<Image> {
        let mut image = Image::default();
        image.header.stamp = Time::from_nanos(ms * MS);
        Arc::new(image)
    }

    fn cloud(ms: i64) -> Arc<PointCloud2> {
        let mut cloud = PointCloud2::default();
        cloud.header.stamp = Time::from_nanos(ms * MS);
        Arc::new(cloud)
    }

    fn now(ms: i64) -> Time {
        Time::from_nanos(ms * MS)
    }

    /// (cloud ms, image ms) of each frame.
    fn stamps(frames: &[Frame]) -> Vec<(Option<i64>, Option<i64>)> {
        let ms = |t: Time| t.as_nanos() / MS;
        frames
            .iter()
            .map(|f| {
                (
                    f.cloud.as_ref().map(|c| ms(c.header.stamp)),
                    f.image.as_ref().map(|i| ms(i.header.stamp)),
                )
            })
            .collect()
    }

    #[test]
    fn equal_stamps_pair_at_once() {
        let mut sync = CameraLidarSync::new(SyncParams::default());
        assert!(sync.on_image(image(1000)).is_empty());
        assert_eq!(stamps(&sync.on_cloud(cloud(1000), now(1000))), [(Some(1000), Some(1000))]);
    }

    #[test]
    fn a_cloud_waits_while_a_nearer_image_can_still_come() {
        let mut sync = CameraLidarSync::new(SyncParams::default());
        // Image 40 ms before the cloud; the next may come 20 ms after it (min period), which
        // would be nearer: wait.
        sync.on_image(image(960));
        assert!(sync.on_cloud(cloud(1000), now(1000)).is_empty());
        assert_eq!(sync.pending(), 1);
        // The next image, 10 ms after the cloud, is nearer and final.
        assert_eq!(stamps(&sync.on_image(image(1010))), [(Some(1000), Some(1010))]);
    }

    #[test]
    fn the_nearer_held_image_wins_when_the_next_cannot_beat_it() {
        let mut sync = CameraLidarSync::new(SyncParams::default());
        sync.on_image(image(995));
        // Next image >= 1015: 15 ms away, worse than 5 ms: final at once.
        assert_eq!(stamps(&sync.on_cloud(cloud(1000), now(1000))), [(Some(1000), Some(995))]);
        // The image at 1028 is too far from the cloud at 1100: it waits for the next one,
        // which at 5 ms away cannot be beaten by any later image (>= 1115).
        sync.on_image(image(1028));
        assert_eq!(stamps(&sync.on_cloud(cloud(1100), now(1100))), []);
        assert_eq!(stamps(&sync.on_image(image(1095))), [(Some(1100), Some(1095))]);
    }

    #[test]
    fn offsets_shift_the_pairing() {
        let params = SyncParams { camera_offset_ns: 30 * MS, ..Default::default() };
        let mut sync = CameraLidarSync::new(params);
        // Stamped 970, taken at 1000: pairs exactly with the cloud at 1000.
        sync.on_image(image(930));
        sync.on_image(image(970));
        assert_eq!(stamps(&sync.on_cloud(cloud(1000), now(1000))), [(Some(1000), Some(970))]);
    }

    #[test]
    fn a_missing_camera_degrades_to_lidar_only_without_stalling() {
        let mut sync = CameraLidarSync::new(SyncParams::default());
        // No image ever: each cloud goes on alone once the next one is camera_wait later.
        assert!(sync.on_cloud(cloud(1000), now(1000)).is_empty());
        assert_eq!(stamps(&sync.on_cloud(cloud(1100), now(1100))), [(Some(1000), None)]);
        assert_eq!(stamps(&sync.on_cloud(cloud(1200), now(1200))), [(Some(1100), None)]);
        // ... or on a tick once it has waited camera_wait in node time.
        assert_eq!(stamps(&sync.on_tick(now(1250))), []);
        assert_eq!(stamps(&sync.on_tick(now(1300))), [(Some(1200), None)]);
        assert_eq!(sync.pending(), 0);
    }

    #[test]
    fn an_image_out_of_range_leaves_the_cloud_alone() {
        let mut sync = CameraLidarSync::new(SyncParams::default());
        sync.on_image(image(900));
        assert!(sync.on_cloud(cloud(1000), now(1000)).is_empty());
        // 80 ms after the cloud: beyond max_interval, and later ones can only be further.
        assert_eq!(stamps(&sync.on_image(image(1080))), [(Some(1000), None)]);
    }

    #[test]
    fn a_missing_lidar_degrades_to_camera_only() {
        let mut sync = CameraLidarSync::new(SyncParams::default());
        // Images wait for clouds until the lidar has been silent for lidar_timeout (300 ms),
        // then they and the next go on alone.
        for ms in [1000, 1100, 1200, 1300] {
            assert!(sync.on_image(image(ms)).is_empty(), "{ms}");
        }
        let alone = [1000, 1100, 1200, 1300, 1400].map(|ms| (None, Some(ms)));
        assert_eq!(stamps(&sync.on_image(image(1400))), alone);
        assert_eq!(stamps(&sync.on_image(image(1450))), [(None, Some(1450))]);
        // The lidar comes back: pairing resumes.
        assert_eq!(stamps(&sync.on_cloud(cloud(1500), now(1500))), []);
        assert_eq!(stamps(&sync.on_image(image(1500))), [(Some(1500), Some(1500))]);
    }

    #[test]
    fn at_the_end_images_newer_than_any_cloud_go_on_alone() {
        let mut sync = CameraLidarSync::new(SyncParams::default());
        sync.on_image(image(1000));
        sync.on_cloud(cloud(1000), now(1000));
        sync.on_image(image(1040)); // near the cloud, not chosen: dropped
        sync.on_image(image(1100));
        assert_eq!(stamps(&sync.flush()), [(None, Some(1100))]);
    }

    #[test]
    fn time_going_backwards_flushes_and_restarts() {
        let mut sync = CameraLidarSync::new(SyncParams::default());
        sync.on_image(image(960));
        assert!(sync.on_cloud(cloud(1000), now(1000)).is_empty());
        // The bag starts over: the waiting cloud goes on with what it had, nothing is lost.
        let frames = sync.on_cloud(cloud(0), now(0));
        assert_eq!(stamps(&frames), [(Some(1000), Some(960))]);
        assert_eq!(sync.take_events(), [SyncEvent::TimeJumpedBack]);
        assert_eq!(stamps(&sync.on_image(image(0))), [(Some(0), Some(0))]);
    }

    #[test]
    fn a_full_queue_releases_its_oldest_and_flush_releases_the_rest() {
        let params = SyncParams { queue_size: 2, camera_wait_ns: i64::MAX, ..Default::default() };
        let mut sync = CameraLidarSync::new(params);
        sync.on_cloud(cloud(1000), now(1000));
        sync.on_cloud(cloud(1100), now(1100));
        assert_eq!(stamps(&sync.on_cloud(cloud(1200), now(1200))), [(Some(1000), None)]);
        assert_eq!(sync.take_events(), [SyncEvent::CloudQueueFull]);
        assert_eq!(stamps(&sync.flush()), [(Some(1100), None), (Some(1200), None)]);
    }
}
