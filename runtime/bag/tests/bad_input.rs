//! Damaged bags give errors naming the file and the place, never panics.

mod common;

use std::path::{Path, PathBuf};

use edgefusion_bag::{
    BagError, BagMessage, BagReader, BagWriter, Compression, OpenOptions, ReadOptions, StorageId,
    TopicInfo, WriterOptions,
};

use common::{copy_bag, rosbags_dir};

fn read_results(reader: &BagReader, skip_corrupt: bool) -> Vec<Result<BagMessage, BagError>> {
    reader.messages(ReadOptions { skip_corrupt, ..ReadOptions::default() }).collect()
}

/// The talker fixture rewritten with many small chunks, so damage hits one chunk of several.
fn multi_chunk_talker(rosbags: &Path, into: &Path, compression: Compression) -> PathBuf {
    let source = BagReader::open(rosbags.join("mcap/talker")).unwrap();
    let dir = into.join(format!("talker_{compression:?}"));
    let mut writer = BagWriter::create(
        &dir,
        WriterOptions { compression, chunk_size: 300, ..WriterOptions::default() },
    )
    .unwrap();
    for topic in source.topics() {
        writer.add_topic(TopicInfo::clone(topic)).unwrap();
    }
    for message in source.messages(ReadOptions::default()) {
        let message = message.unwrap();
        writer
            .write(&message.topic.name, message.log_time_ns, message.publish_time_ns, &message.data)
            .unwrap();
    }
    writer.finish().unwrap();
    dir
}

fn chunk_indexes(file: &Path) -> Vec<mcap::records::ChunkIndex> {
    let bytes = std::fs::read(file).unwrap();
    mcap::Summary::read(&bytes).unwrap().unwrap().chunk_indexes
}

fn flip_byte(file: &Path, offset: u64) {
    let mut bytes = std::fs::read(file).unwrap();
    bytes[offset as usize] ^= 0x5a;
    std::fs::write(file, bytes).unwrap();
}

#[test]
fn corrupt_chunk_is_an_error_naming_file_and_offset_or_is_skipped() {
    let Some(rosbags) = rosbags_dir() else { return };
    let temp = tempfile::tempdir().unwrap();
    for compression in [Compression::Zstd, Compression::None, Compression::Lz4] {
        let dir = multi_chunk_talker(&rosbags, temp.path(), compression);
        let file = dir.join(format!("talker_{compression:?}_0.mcap"));
        let chunks = chunk_indexes(&file);
        assert!(chunks.len() >= 4, "{} chunks", chunks.len());
        let victim = &chunks[2];
        let data_offset = victim.compressed_data_offset().unwrap();
        flip_byte(&file, data_offset + victim.compressed_size / 2);

        let reader = BagReader::open(&dir).unwrap();
        let results = read_results(&reader, false);
        let errors: Vec<&BagError> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(errors.len(), 1, "{compression:?}: {errors:?}");
        let error = errors[0];
        assert!(
            matches!(error, BagError::Mcap { offset, .. } if *offset == victim.chunk_start_offset),
            "{error}"
        );
        let text = error.to_string();
        assert!(text.contains(file.to_str().unwrap()), "{text}");
        assert!(text.contains(&format!("offset {}", victim.chunk_start_offset)), "{text}");
        let good = results.iter().filter(|r| r.is_ok()).count();
        assert!(good > 0 && good < 20, "{compression:?}: {good}");

        let reader = BagReader::open(&dir).unwrap();
        let skipped = read_results(&reader, true);
        assert!(skipped.iter().all(Result::is_ok));
        assert_eq!(skipped.len(), good);
        assert_eq!(reader.corrupt_chunks_skipped(), 1);
        let times: Vec<i64> = skipped.iter().map(|r| r.as_ref().unwrap().log_time_ns).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
    }
}

#[test]
fn corrupt_chunk_in_a_fixture_is_reported() {
    let Some(rosbags) = rosbags_dir() else { return };
    let temp = tempfile::tempdir().unwrap();
    let dir = copy_bag(&rosbags.join("mcap/talker"), temp.path());
    let file = dir.join("talker.mcap");
    let chunk = chunk_indexes(&file).remove(0);
    flip_byte(&file, chunk.compressed_data_offset().unwrap() + 40);
    let reader = BagReader::open(&dir).unwrap();
    let results = read_results(&reader, false);
    let error = results.iter().find_map(|r| r.as_ref().err()).expect("an error");
    assert!(matches!(error, BagError::Mcap { offset, .. } if *offset == chunk.chunk_start_offset));
    assert!(error.to_string().contains("talker.mcap"), "{error}");
    assert_eq!(read_results(&reader, true).len(), 0);
    assert_eq!(reader.corrupt_chunks_skipped(), 1);
}

#[test]
fn truncated_mcap_reads_complete_chunks_or_fails_strictly() {
    let Some(rosbags) = rosbags_dir() else { return };
    let temp = tempfile::tempdir().unwrap();
    let dir = multi_chunk_talker(&rosbags, temp.path(), Compression::Zstd);
    let file = dir.join("talker_Zstd_0.mcap");
    let chunks = chunk_indexes(&file);
    let complete = BagReader::open(&dir).unwrap();
    let all: Vec<BagMessage> =
        complete.messages(ReadOptions::default()).collect::<Result<_, _>>().unwrap();
    // Cut inside the fourth chunk: the first three stay readable.
    let cut = chunks[3].chunk_start_offset + chunks[3].chunk_length / 2;
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..cut as usize]).unwrap();

    let reader = BagReader::open(&dir).unwrap();
    let summary = &reader.summary().files[0];
    assert!(!summary.indexed);
    let readable_end = chunks[3].chunk_start_offset;
    assert_eq!(summary.unreadable_tail_bytes, cut - readable_end);
    let messages: Vec<BagMessage> =
        reader.messages(ReadOptions::default()).collect::<Result<_, _>>().unwrap();
    assert!(!messages.is_empty());
    assert_eq!(messages.len() as u64, reader.summary().message_count);
    for (got, want) in messages.iter().zip(&all) {
        assert_eq!((got.log_time_ns, &got.data), (want.log_time_ns, &want.data));
    }

    let err = BagReader::open_with(&dir, OpenOptions { strict: true }).err().unwrap();
    assert!(
        matches!(&err, BagError::McapTruncated { offset, .. } if *offset == readable_end),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("talker_Zstd_0.mcap") && text.contains(&readable_end.to_string()),
        "{text}"
    );
}

#[test]
fn missing_metadata_names_the_directory_and_the_remedy() {
    let Some(rosbags) = rosbags_dir() else { return };
    let temp = tempfile::tempdir().unwrap();
    let dir = copy_bag(&rosbags.join("mcap/cdr_test"), temp.path());
    std::fs::remove_file(dir.join("metadata.yaml")).unwrap();
    let err = BagReader::open(&dir).err().unwrap();
    assert!(matches!(err, BagError::MissingMetadata { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains(dir.to_str().unwrap()) && text.contains("reindex"), "{text}");
    assert!(text.contains(".mcap"), "{text}");
    // The storage file alone still opens.
    let reader = BagReader::open(dir.join("cdr_test_0.mcap")).unwrap();
    assert_eq!(reader.summary().message_count, 7);
}

fn with_metadata(rosbags: &Path, temp: &Path, edit: impl Fn(&str) -> String) -> PathBuf {
    let dir = copy_bag(&rosbags.join("sqlite3/cdr_test"), temp);
    let path = dir.join("metadata.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, edit(&text)).unwrap();
    dir
}

#[test]
fn bad_metadata_yaml_points_at_its_line() {
    let Some(rosbags) = rosbags_dir() else { return };

    // Malformed: an unclosed flow sequence on line 7.
    let temp = tempfile::tempdir().unwrap();
    let dir = with_metadata(&rosbags, temp.path(), |text| {
        text.replace("  message_count: 7\n", "  message_count: [7\n")
    });
    let err = BagReader::open(&dir).err().unwrap();
    let BagError::MetadataSyntax { line, .. } = &err else { panic!("{err}") };
    assert!(*line >= 7, "{err}");
    assert!(err.to_string().contains("metadata.yaml:"), "{err}");

    // Lists a storage file that does not exist (line 27 of the fixture).
    let temp = tempfile::tempdir().unwrap();
    let dir = with_metadata(&rosbags, temp.path(), |text| {
        text.replace("    - cdr_test_0.db3", "    - cdr_test_9.db3")
    });
    let err = BagReader::open(&dir).err().unwrap();
    assert!(matches!(err, BagError::MissingStorageFile { line: 27, .. }), "{err}");
    assert!(err.to_string().contains("cdr_test_9.db3"), "{err}");

    // Unknown storage identifier (line 3).
    let temp = tempfile::tempdir().unwrap();
    let dir = with_metadata(&rosbags, temp.path(), |text| {
        text.replace("storage_identifier: sqlite3", "storage_identifier: rosbag_v1")
    });
    let err = BagReader::open(&dir).err().unwrap();
    assert!(matches!(err, BagError::MetadataInvalid { line: 3, .. }), "{err}");
    assert!(err.to_string().contains("rosbag_v1"), "{err}");

    // Unsupported version (line 2).
    let temp = tempfile::tempdir().unwrap();
    let dir = with_metadata(&rosbags, temp.path(), |text| text.replace("version: 7", "version: 3"));
    let err = BagReader::open(&dir).err().unwrap();
    assert!(matches!(err, BagError::MetadataInvalid { line: 2, .. }), "{err}");
    assert!(err.to_string().contains("unsupported metadata version 3"), "{err}");
}

#[test]
fn unknown_extension_and_missing_paths() {
    let temp = tempfile::tempdir().unwrap();
    let odd = temp.path().join("recording.bag");
    std::fs::write(&odd, b"#ROSBAG V2.0\n").unwrap();
    let err = BagReader::open(&odd).err().unwrap();
    assert!(matches!(err, BagError::UnknownExtension { .. }), "{err}");
    assert!(err.to_string().contains("recording.bag"), "{err}");

    let err = BagReader::open(temp.path().join("nowhere")).err().unwrap();
    assert!(matches!(err, BagError::Io { .. }) && err.to_string().contains("nowhere"), "{err}");

    let not_mcap = temp.path().join("fake.mcap");
    std::fs::write(&not_mcap, b"not an mcap file at all").unwrap();
    let err = BagReader::open(&not_mcap).err().unwrap();
    assert!(matches!(err, BagError::Mcap { offset: 0, .. }), "{err}");
    assert!(err.to_string().contains("fake.mcap"), "{err}");
}

#[test]
fn damaged_sqlite3_files_name_file_and_row() {
    let Some(rosbags) = rosbags_dir() else { return };
    let temp = tempfile::tempdir().unwrap();

    // A message whose data is not a blob.
    let dir = copy_bag(&rosbags.join("sqlite3/cdr_test"), temp.path());
    let db = dir.join("cdr_test_0.db3");
    {
        let connection = rusqlite::Connection::open(&db).unwrap();
        connection.execute("UPDATE messages SET data = 42 WHERE id = 5", []).unwrap();
    }
    let reader = BagReader::open(&dir).unwrap();
    let results = read_results(&reader, false);
    let err = results.iter().find_map(|r| r.as_ref().err()).expect("an error");
    assert!(matches!(err, BagError::Sqlite { row_id: Some(5), .. }), "{err}");
    assert!(err.to_string().contains("cdr_test_0.db3") && err.to_string().contains("row id 5"));

    // Not a database at all.
    let garbage = temp.path().join("garbage.db3");
    std::fs::write(&garbage, vec![0x42u8; 4096]).unwrap();
    let err = BagReader::open(&garbage).err().unwrap();
    assert!(matches!(err, BagError::Sqlite { .. }), "{err}");
    assert!(err.to_string().contains("garbage.db3"), "{err}");

    // A database, but not a bag.
    let plain = temp.path().join("plain.db3");
    rusqlite::Connection::open(&plain).unwrap().execute_batch("CREATE TABLE t(x)").unwrap();
    let err = BagReader::open(&plain).err().unwrap();
    assert!(matches!(err, BagError::SqliteSchema { .. }), "{err}");

    // Truncated to half: SQLite reports a malformed image, we name the file.
    let truncated = temp.path().join("half.db3");
    let bytes = std::fs::read(rosbags.join("sqlite3/talker/talker.db3")).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    match BagReader::open(&truncated) {
        Err(err) => assert!(err.to_string().contains("half.db3"), "{err}"),
        Ok(reader) => {
            for result in read_results(&reader, false) {
                if let Err(err) = result {
                    assert!(err.to_string().contains("half.db3"), "{err}");
                }
            }
        }
    }
}

/// Every single-byte flip and many truncations of real MCAP files: errors, never panics.
#[test]
fn no_damage_panics_the_mcap_reader() {
    let Some(rosbags) = rosbags_dir() else { return };
    let temp = tempfile::tempdir().unwrap();
    for source in ["mcap/talker/talker.mcap", "mcap/cdr_test/cdr_test_0.mcap"] {
        let original = std::fs::read(rosbags.join(source)).unwrap();
        let path = temp.path().join("damaged.mcap");
        let exercise = |bytes: &[u8]| {
            std::fs::write(&path, bytes).unwrap();
            if let Ok(reader) = BagReader::open(&path) {
                for skip_corrupt in [false, true] {
                    let _ = read_results(&reader, skip_corrupt);
                }
                let _ = reader.summary();
            }
        };
        for offset in (0..original.len()).step_by(7) {
            let mut bytes = original.clone();
            bytes[offset] ^= 0xff;
            exercise(&bytes);
        }
        for length in (0..original.len()).step_by(13) {
            exercise(&original[..length]);
        }
    }
    let _ = StorageId::Mcap;
}
