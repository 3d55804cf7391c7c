//! Keeps freed heap memory in the process, so that LibTorch's per-frame tensors do not
//! page-fault in again on every frame.
//!
//! glibc serves large allocations with fresh `mmap`s (above a threshold it adapts at run time)
//! and hands freed memory back to the kernel (`munmap`, heap trimming). LibTorch allocates each
//! frame's tensors anew, so each frame faulted its megabytes back in: the fp32 module's
//! `detect_2d` took ~350 minor page faults per call and 8.4 ms instead of 6.8 ms with the memory
//! kept, the whole fp32 module 22.6 instead of 19.4 ms (KITTI 000008, 2 threads). Real-time
//! Linux practice, e.g. the ROS 2 real-time guides, is the same: fix the thresholds so that the
//! heap stays resident once it has grown.

use std::sync::Once;

/// Allocations up to this size come from the heap instead of their own `mmap` (glibc's maximum
/// on 64-bit targets; larger values are refused).
const MMAP_THRESHOLD: i32 = 32 << 20;
/// Free memory at the top of the heap up to this size stays in the process.
const TRIM_THRESHOLD: i32 = 256 << 20;

/// Applies the thresholds once per process; later calls do nothing. No-op off glibc.
pub fn keep_freed_memory() {
    static APPLY: Once = Once::new();
    APPLY.call_once(apply);
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn apply() {
    // SAFETY: mallopt only sets allocator tunables; it is thread-safe in glibc and takes
    // plain integers.
    let set = |param, value| unsafe { libc::mallopt(param, value) } == 1;
    if !(set(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) && set(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    {
        tracing::warn!(
            "glibc refused the malloc thresholds: frames may page-fault their tensors in"
        );
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn apply() {}
