//! Every fixture bag written back with BagWriter, in every storage, reads back the same.

mod common;

use std::sync::Arc;

use edgefusion_bag::{
    BagMessage, BagReader, BagWriter, Compression, ReadOptions, StorageId, TopicInfo, WriterOptions,
};

use common::{rosbags_dir, FIXTURE_BAGS};

fn read_all(reader: &BagReader) -> Vec<BagMessage> {
    reader.messages(ReadOptions::default()).collect::<Result<Vec<_>, _>>().unwrap()
}

fn copy_into(source: &BagReader, dir: &std::path::Path, options: WriterOptions) {
    let mut writer = BagWriter::create(dir, options).unwrap();
    for topic in source.topics() {
        writer.add_topic(TopicInfo::clone(topic)).unwrap();
    }
    for message in read_all(source) {
        writer
            .write(&message.topic.name, message.log_time_ns, message.publish_time_ns, &message.data)
            .unwrap();
    }
    writer.finish().unwrap();
}

const TARGETS: &[(StorageId, Compression)] = &[
    (StorageId::Mcap, Compression::None),
    (StorageId::Mcap, Compression::Zstd),
    (StorageId::Mcap, Compression::Lz4),
    (StorageId::Sqlite3, Compression::None),
];

#[test]
fn fixture_bags_round_trip_through_every_storage() {
    let Some(rosbags) = rosbags_dir() else { return };
    let temp = tempfile::tempdir().unwrap();
    for bag in FIXTURE_BAGS {
        let source = BagReader::open(rosbags.join(bag)).unwrap();
        let original = read_all(&source);
        for (index, &(storage, compression)) in TARGETS.iter().enumerate() {
            let label = format!("{bag} -> {storage:?}/{compression:?}");
            let dir = temp.path().join(format!("{}_{index}", bag.replace(['/', '.'], "_")));
            copy_into(
                &source,
                &dir,
                WriterOptions {
                    storage,
                    compression,
                    // Small chunks, so multi-chunk merging is exercised too.
                    chunk_size: 4096,
                    ..WriterOptions::default()
                },
            );
            let copy = BagReader::open(&dir).unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_eq!(copy.summary().storage, storage, "{label}");
            if storage == StorageId::Mcap && !original.is_empty() {
                assert_eq!(copy.summary().compression, compression, "{label}");
            }
            let source_topics: Vec<&TopicInfo> = source.topics().iter().map(Arc::as_ref).collect();
            let copy_topics: Vec<&TopicInfo> = copy.topics().iter().map(Arc::as_ref).collect();
            assert_eq!(copy_topics, source_topics, "{label}: topics and definitions");
            assert_eq!(copy.summary().message_count, source.summary().message_count);
            assert_eq!(
                copy.summary().topic_message_counts,
                source.summary().topic_message_counts,
                "{label}"
            );

            let copied = read_all(&copy);
            assert_eq!(copied.len(), original.len(), "{label}");
            for (a, b) in original.iter().zip(&copied) {
                assert_eq!(a.topic.name, b.topic.name, "{label}");
                assert_eq!(a.log_time_ns, b.log_time_ns, "{label}");
                assert_eq!(a.data, b.data, "{label}");
                if storage == StorageId::Mcap {
                    assert_eq!(a.publish_time_ns, b.publish_time_ns, "{label}");
                }
            }

            // metadata.yaml we wrote says what the storage says.
            let metadata = copy.metadata();
            assert_eq!(metadata.version, 9);
            assert_eq!(metadata.storage_identifier, storage.as_str());
            assert_eq!(metadata.compression_format, "");
            assert_eq!(metadata.message_count, copy.summary().message_count);
            assert_eq!(metadata.ros_distro, "kilted");
            let dir_name = dir.file_name().unwrap().to_str().unwrap();
            assert_eq!(
                metadata.relative_file_paths,
                vec![format!("{dir_name}_0.{}", storage.file_extension())]
            );
            if let Some(start) = copy.summary().start_ns {
                assert_eq!(metadata.starting_time.nanoseconds_since_epoch, start);
                assert_eq!(metadata.duration.nanoseconds, copy.summary().duration_ns);
            }
            // No journal files left beside a finished sqlite3 bag.
            let leftovers = std::fs::read_dir(&dir)
                .unwrap()
                .filter(|e| {
                    let name = e.as_ref().unwrap().file_name();
                    let name = name.to_string_lossy();
                    name.ends_with("-wal") || name.ends_with("-shm") || name.ends_with(".tmp")
                })
                .count();
            assert_eq!(leftovers, 0, "{label}");
        }
    }
}

fn synthetic_topic(name: &str) -> TopicInfo {
    TopicInfo {
        offered_qos_profiles: "- history: 1\n  depth: 10\n".to_string(),
        message_definition: edgefusion_bag::MessageDefinition {
            encoding: "ros2msg".to_string(),
            text: "uint8[] data".to_string(),
        },
        ..TopicInfo::new(name, "std_msgs/msg/UInt8MultiArray")
    }
}

fn payload(index: u64) -> Vec<u8> {
    let mut data = vec![0, 1, 0, 0];
    data.extend_from_slice(&index.to_le_bytes());
    data.resize(200 + (index % 50) as usize, (index % 251) as u8);
    data
}

#[test]
fn size_limit_splits_into_files_that_read_back_in_order() {
    let temp = tempfile::tempdir().unwrap();
    for (storage, compression) in [
        (StorageId::Mcap, Compression::Zstd),
        (StorageId::Mcap, Compression::None),
        (StorageId::Sqlite3, Compression::None),
    ] {
        let dir = temp.path().join(format!("split_{}_{compression:?}", storage.as_str()));
        let mut writer = BagWriter::create(
            &dir,
            WriterOptions {
                storage,
                compression,
                chunk_size: 2048,
                max_bagfile_size: Some(64 * 1024),
                ..WriterOptions::default()
            },
        )
        .unwrap();
        writer.add_topic(synthetic_topic("/a")).unwrap();
        writer.add_topic(synthetic_topic("/b")).unwrap();
        let count = 3000u64;
        for i in 0..count {
            let topic = if i % 3 == 0 { "/b" } else { "/a" };
            // Pairs of equal stamps: ties must come back in write order.
            writer.write(topic, 1_000 + (i / 2) as i64, 7, &payload(i)).unwrap();
        }
        let metadata = writer.finish().unwrap();
        assert!(
            metadata.relative_file_paths.len() >= 3,
            "{storage:?}: {} files",
            metadata.relative_file_paths.len()
        );
        assert_eq!(metadata.files.len(), metadata.relative_file_paths.len());
        assert_eq!(metadata.files.iter().map(|f| f.message_count).sum::<u64>(), count);
        for (index, path) in metadata.relative_file_paths.iter().enumerate() {
            let name = format!(
                "{}_{index}.{}",
                dir.file_name().unwrap().to_str().unwrap(),
                storage.file_extension()
            );
            assert_eq!(path, &name);
            // Every file carries every topic, as rosbag2 splits do.
            let file = BagReader::open(dir.join(path)).unwrap();
            assert_eq!(file.topics().len(), 2, "{path}");
        }

        let reader = BagReader::open(&dir).unwrap();
        assert_eq!(reader.summary().files.len(), metadata.files.len());
        let messages: Vec<BagMessage> =
            reader.messages(ReadOptions::default()).collect::<Result<_, _>>().unwrap();
        assert_eq!(messages.len() as u64, count);
        for (i, message) in messages.iter().enumerate() {
            assert_eq!(message.data, payload(i as u64), "{storage:?} message {i}");
        }
    }
}

#[test]
fn duration_limit_splits_by_receive_time() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("by_time");
    let mut writer = BagWriter::create(
        &dir,
        WriterOptions { max_bagfile_duration_ns: Some(1_000), ..WriterOptions::default() },
    )
    .unwrap();
    writer.add_topic(synthetic_topic("/a")).unwrap();
    for i in 0..10u64 {
        writer.write("/a", i as i64 * 300, i as i64 * 300, &payload(i)).unwrap();
    }
    let metadata = writer.finish().unwrap();
    // 0..900 | 1200..2100 | 2400 2700: a file spans at most 1000 ns.
    let counts: Vec<u64> = metadata.files.iter().map(|f| f.message_count).collect();
    assert_eq!(counts, vec![4, 4, 2]);
    assert!(metadata.files.iter().all(|f| f.duration.nanoseconds <= 1_000));
    let reader = BagReader::open(&dir).unwrap();
    assert_eq!(reader.summary().message_count, 10);
}

#[test]
fn writer_rejects_what_rosbag2_cannot_store() {
    let temp = tempfile::tempdir().unwrap();
    let err = BagWriter::create(
        temp.path().join("zstd_sqlite"),
        WriterOptions {
            storage: StorageId::Sqlite3,
            compression: Compression::Zstd,
            ..WriterOptions::default()
        },
    )
    .err()
    .unwrap();
    assert!(matches!(err, edgefusion_bag::BagError::UnsupportedCompression { .. }), "{err}");
    assert!(err.to_string().contains("zstd_sqlite"), "{err}");

    let dir = temp.path().join("conflict");
    let mut writer = BagWriter::create(&dir, WriterOptions::default()).unwrap();
    writer.add_topic(synthetic_topic("/a")).unwrap();
    let err = writer.add_topic(TopicInfo::new("/a", "std_msgs/msg/String")).unwrap_err();
    assert!(matches!(err, edgefusion_bag::BagError::TopicConflict { .. }), "{err}");
    let err = writer.write("/nope", 0, 0, b"x").unwrap_err();
    assert!(err.to_string().contains("/nope") && err.to_string().contains("conflict"), "{err}");
    writer.finish().unwrap();

    let err = BagWriter::create(&dir, WriterOptions::default()).err().unwrap();
    assert!(matches!(err, edgefusion_bag::BagError::BagExists { .. }), "{err}");
}

#[test]
fn reindex_rebuilds_metadata_from_storage() {
    let Some(rosbags) = rosbags_dir() else { return };
    let temp = tempfile::tempdir().unwrap();
    let bag = common::copy_bag(&rosbags.join("mcap/wbag"), temp.path());
    std::fs::remove_file(bag.join("metadata.yaml")).unwrap();
    let err = BagReader::open(&bag).err().unwrap();
    assert!(matches!(err, edgefusion_bag::BagError::MissingMetadata { .. }));
    let metadata = edgefusion_bag::reindex(&bag).unwrap();
    assert_eq!(
        metadata.relative_file_paths,
        (0..5).map(|i| format!("wbag_{i}.mcap")).collect::<Vec<_>>()
    );
    assert_eq!(metadata.message_count, 6074);
    assert_eq!(metadata.starting_time.nanoseconds_since_epoch, 1000);
    assert_eq!(metadata.duration.nanoseconds, 1998);
    let reader = BagReader::open(&bag).unwrap();
    assert_eq!(reader.metadata(), &metadata);
}
