//! CDR bytes of a `sensor_msgs/PointCloud2` (as received on /sensing/lidar/points) through the
//! decoder, `PointCloudReader` and the lidar node. Run: `cargo +nightly fuzz run
//! point_cloud_cdr` in nodes/lidar/fuzz; the corpus is kept in corpus/point_cloud_cdr and
//! replayed on stable by nodes/lidar/tests/fuzz_corpus.rs.
#![no_main]

use edgefusion_lidar::fuzz_check::{check_cdr_cloud, fuzz_node};
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;

thread_local! {
    // One node for the whole run, as in the stack (its state: tf and counters).
    static NODE: RefCell<edgefusion_lidar::LidarNode> = RefCell::new(fuzz_node());
}

fuzz_target!(|data: &[u8]| {
    NODE.with(|node| check_cdr_cloud(&mut node.borrow_mut(), data));
});
