//! Read throughput: every message of a bag, payload bytes touched, MB/s and messages/s.
//!
//! `cargo bench -p edgefusion-bag --bench bag_read -- <bag directory or file> ...`
//! (or `EDGEFUSION_BAG_BENCH=<path>`). With no path, it writes synthetic 100 MB bags (MCAP
//! none/zstd/lz4 and sqlite3) to a temporary directory and reads those.

use std::path::{Path, PathBuf};
use std::time::Instant;

use edgefusion_bag::{
    BagReader, BagWriter, Compression, ReadOptions, StorageId, TopicInfo, WriterOptions,
};

const RUNS: usize = 3;

fn read_once(path: &Path) -> Result<(u64, u64, f64), edgefusion_bag::BagError> {
    let started = Instant::now();
    let reader = BagReader::open(path)?;
    let (mut messages, mut bytes, mut checksum) = (0u64, 0u64, 0u64);
    for message in reader.messages(ReadOptions::default()) {
        let message = message?;
        messages += 1;
        bytes += message.data.len() as u64;
        // Touch the payload so the read cannot be optimized into nothing.
        checksum = checksum.wrapping_add(u64::from(*message.data.last().unwrap_or(&0)));
    }
    std::hint::black_box(checksum);
    Ok((messages, bytes, started.elapsed().as_secs_f64()))
}

fn bench(path: &Path) {
    let mut best: Option<(u64, u64, f64)> = None;
    for _ in 0..RUNS {
        match read_once(path) {
            Ok(run) => {
                if best.is_none_or(|b| run.2 < b.2) {
                    best = Some(run);
                }
            }
            Err(err) => {
                eprintln!("{}: {err}", path.display());
                return;
            }
        }
    }
    let (messages, bytes, seconds) = best.expect("at least one run");
    println!(
        "{}: {messages} messages, {:.1} MB payload in {:.3} s (best of {RUNS}): {:.1} MB/s, {:.0} messages/s",
        path.display(),
        bytes as f64 / 1e6,
        seconds,
        bytes as f64 / 1e6 / seconds,
        messages as f64 / seconds
    );
}

/// 10,000 messages of 10 kB on two topics, like a mid-rate sensor recording.
fn synthetic_bag(dir: &Path, storage: StorageId, compression: Compression) -> PathBuf {
    let path = dir.join(format!("synthetic_{}_{compression:?}", storage.as_str()));
    let options = WriterOptions { storage, compression, ..WriterOptions::default() };
    let mut writer = BagWriter::create(&path, options).expect("create bench bag");
    for topic in ["/a", "/b"] {
        writer.add_topic(TopicInfo::new(topic, "std_msgs/msg/UInt8MultiArray")).expect("add topic");
    }
    let mut payload = vec![0u8; 10_000];
    for index in 0..10_000u32 {
        // Half noise, half zeros: compressible like real sensor data, not trivially so.
        for (i, byte) in payload.iter_mut().take(5_000).enumerate() {
            *byte = (index.wrapping_mul(2_654_435_761) >> (i % 24)) as u8;
        }
        let topic = if index % 2 == 0 { "/a" } else { "/b" };
        let stamp = 1_000_000_000 + i64::from(index) * 1_000_000;
        writer.write(topic, stamp, stamp, &payload).expect("write message");
    }
    writer.finish().expect("finish bench bag");
    path
}

fn main() {
    let mut paths: Vec<PathBuf> =
        std::env::args().skip(1).filter(|arg| !arg.starts_with("--")).map(PathBuf::from).collect();
    if let Ok(path) = std::env::var("EDGEFUSION_BAG_BENCH") {
        paths.push(PathBuf::from(path));
    }
    if !paths.is_empty() {
        paths.iter().for_each(|path| bench(path));
        return;
    }
    let temp = tempfile::tempdir().expect("temporary directory");
    for (storage, compression) in [
        (StorageId::Mcap, Compression::None),
        (StorageId::Mcap, Compression::Zstd),
        (StorageId::Mcap, Compression::Lz4),
        (StorageId::Sqlite3, Compression::None),
    ] {
        bench(&synthetic_bag(temp.path(), storage, compression));
    }
}
