//! A recorder killed with SIGKILL leaves a bag that opens and reads up to the last complete
//! chunk (MCAP) or committed transaction (sqlite3), payloads intact and in order.
//!
//! The recorder is this test binary re-executed with `EDGEFUSION_BAG_RECORDER` set, running
//! `recorder_child`, which writes until killed.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use edgefusion_bag::{
    BagReader, BagWriter, Compression, ReadOptions, StorageId, TopicInfo, WriterOptions,
};

const CHILD_ENV: &str = "EDGEFUSION_BAG_RECORDER";

fn payload(index: u64) -> Vec<u8> {
    let mut data = vec![0, 1, 0, 0];
    data.extend_from_slice(&index.to_le_bytes());
    // Varying length, every byte derived from the index: any damage shows.
    let length = 64 + (index % 97) as usize;
    data.extend((0..length).map(|i| (index as usize * 31 + i) as u8));
    data
}

/// Not a test on its own: the body of the recorder process.
#[test]
fn recorder_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (storage, dir) = spec.split_once(':').unwrap();
    let (storage, compression) = match storage {
        "mcap" => (StorageId::Mcap, Compression::Zstd),
        _ => (StorageId::Sqlite3, Compression::None),
    };
    let mut writer = BagWriter::create(
        dir,
        WriterOptions {
            storage,
            compression,
            chunk_size: 4096,
            // Splits happen while recording, so a killed bag spans several files.
            max_bagfile_size: Some(256 * 1024),
            ..WriterOptions::default()
        },
    )
    .unwrap();
    writer.add_topic(TopicInfo::new("/counter", "std_msgs/msg/UInt8MultiArray")).unwrap();
    for index in 0u64.. {
        writer.write("/counter", 1_000_000 + index as i64 * 1000, 0, &payload(index)).unwrap();
        if index % 200 == 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

fn bag_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok()?.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0)
}

fn kill_recorder_and_read_back(storage: &str) {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join(format!("killed_{storage}"));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["recorder_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, format!("{storage}:{}", dir.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while bag_bytes(&dir) < 700 * 1024 {
        assert!(Instant::now() < deadline, "recorder wrote too little");
        assert!(child.try_wait().unwrap().is_none(), "recorder exited early");
        std::thread::sleep(Duration::from_millis(20));
    }
    // std's Child::kill is SIGKILL on unix: no destructor, no flush, no footer.
    child.kill().unwrap();
    child.wait().unwrap();

    let reader = BagReader::open(&dir).unwrap_or_else(|e| panic!("{storage}: {e}"));
    let summary = reader.summary();
    assert!(summary.files.len() >= 2, "{storage}: {} files", summary.files.len());
    let (last, finished) = summary.files.split_last().unwrap();
    assert!(finished.iter().all(|f| f.indexed && f.unreadable_tail_bytes == 0));
    if storage == "mcap" {
        // The file being written had no summary or footer: read by scanning.
        assert!(!last.indexed, "{}", last.path.display());
    }
    let messages: Vec<_> = reader
        .messages(ReadOptions::default())
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{storage}: {e}"));
    assert!(messages.len() > 1000, "{storage}: only {} messages", messages.len());
    assert_eq!(messages.len() as u64, summary.message_count);
    for (index, message) in messages.iter().enumerate() {
        assert_eq!(message.data, payload(index as u64), "{storage}: message {index}");
        assert_eq!(message.log_time_ns, 1_000_000 + index as i64 * 1000);
    }
    // metadata.yaml names every file; its counts may lag behind, the storage is trusted.
    assert_eq!(reader.metadata().relative_file_paths.len(), summary.files.len());
    assert!(reader.metadata().message_count <= summary.message_count);
}

#[test]
fn killed_mcap_recorder_leaves_a_readable_bag() {
    kill_recorder_and_read_back("mcap");
}

#[test]
fn killed_sqlite3_recorder_leaves_a_readable_bag() {
    kill_recorder_and_read_back("sqlite3");
}
