//! Reading rosbag2's own test bags: contents against EXPECTED.json and rosbag2's reader
//! assertions.

mod common;

use edgefusion_bag::{BagMessage, BagReader, Compression, ReadOptions, StorageId};

use common::{cdr_string, decoded_for, expected_json, rosbags_dir, FIXTURE_BAGS};

fn read_all(reader: &BagReader, options: ReadOptions) -> Vec<BagMessage> {
    reader.messages(options).collect::<Result<Vec<_>, _>>().unwrap()
}

fn only_topics(topics: &[&str]) -> ReadOptions {
    ReadOptions {
        topics: Some(topics.iter().map(|t| t.to_string()).collect()),
        ..ReadOptions::default()
    }
}

#[test]
fn every_fixture_bag_matches_expected_json() {
    let Some(rosbags) = rosbags_dir() else { return };
    let expected = expected_json(&rosbags);
    for bag in FIXTURE_BAGS {
        let reader = BagReader::open(rosbags.join(bag)).unwrap_or_else(|e| panic!("{bag}: {e}"));
        let decoded = decoded_for(&expected, bag);
        let summary = reader.summary();
        let storage = if bag.starts_with("mcap") { StorageId::Mcap } else { StorageId::Sqlite3 };
        assert_eq!(summary.storage, storage, "{bag}");
        assert_eq!(summary.message_count, decoded["message_count"].as_u64().unwrap(), "{bag}");

        let topics = decoded["topics"].as_object().unwrap();
        let mut first_times = Vec::new();
        let mut last_times = Vec::new();
        for (name, topic) in topics {
            let info = reader.topic(name).unwrap_or_else(|| panic!("{bag}: topic {name} missing"));
            assert_eq!(info.type_name, topic["type"].as_str().unwrap(), "{bag} {name}");
            assert_eq!(info.serialization_format, "cdr", "{bag} {name}");
            assert_eq!(summary.topic_message_count(name), topic["count"].as_u64(), "{bag} {name}");
            first_times.extend(topic["first_timestamp_ns"].as_i64());
            last_times.extend(topic["last_timestamp_ns"].as_i64());
        }
        // EXPECTED.json omits declared topics that never got a message in some bags; any
        // topic beyond its list must be such a topic.
        for topic in reader.topics() {
            if !topics.contains_key(&topic.name) {
                assert_eq!(summary.topic_message_count(&topic.name), Some(0), "{bag}");
            }
        }
        assert_eq!(summary.start_ns, first_times.iter().copied().min(), "{bag}");
        assert_eq!(summary.end_ns, last_times.iter().copied().max(), "{bag}");

        let messages = read_all(&reader, ReadOptions::default());
        assert_eq!(messages.len() as u64, summary.message_count, "{bag}");
        assert!(
            messages.windows(2).all(|w| w[0].log_time_ns <= w[1].log_time_ns),
            "{bag}: not in time order"
        );
        let listed = decoded["messages"].as_array().unwrap();
        if !listed.is_empty() {
            assert_eq!(listed.len(), messages.len(), "{bag}");
            for (index, (message, want)) in messages.iter().zip(listed).enumerate() {
                assert_eq!(
                    message.log_time_ns,
                    want["timestamp_ns"].as_i64().unwrap(),
                    "{bag} #{index}"
                );
                assert_eq!(message.topic.name, want["topic"].as_str().unwrap(), "{bag} #{index}");
                assert_eq!(
                    message.data.len() as u64,
                    want["cdr_bytes"].as_u64().unwrap(),
                    "{bag} #{index}"
                );
            }
        }
    }
}

#[test]
fn talker_topic_filter_and_seek_as_rosbag2_py() {
    let Some(rosbags) = rosbags_dir() else { return };
    for bag in ["mcap/talker", "sqlite3/talker"] {
        let reader = BagReader::open(rosbags.join(bag)).unwrap();
        let strings = read_all(&reader, only_topics(&["/topic"]));
        let texts: Vec<String> = strings.iter().map(|m| cdr_string(&m.data)).collect();
        let want: Vec<String> = (0..10).map(|n| format!("Hello, world! {n}")).collect();
        assert_eq!(texts, want, "{bag}");
        assert!(strings.iter().all(|m| m.topic.type_name == "std_msgs/msg/String"));

        let all = read_all(&reader, ReadOptions::default());
        assert!(all.iter().all(|m| {
            m.topic.type_name == "std_msgs/msg/String"
                || m.topic.type_name == "rcl_interfaces/msg/Log"
        }));
        let texts: Vec<String> =
            all.iter().filter(|m| m.topic.name == "/topic").map(|m| cdr_string(&m.data)).collect();
        assert_eq!(texts, want, "{bag}");

        // seek(1585866237113147888): a Log message, then "Hello, world! 5".
        let seeked = read_all(
            &reader,
            ReadOptions { start_ns: Some(1585866237113147888), ..ReadOptions::default() },
        );
        assert_eq!(seeked[0].topic.type_name, "rcl_interfaces/msg/Log", "{bag}");
        assert_eq!(seeked[1].topic.name, "/topic", "{bag}");
        assert_eq!(cdr_string(&seeked[1].data), "Hello, world! 5", "{bag}");

        // Message definitions, as test_sequential_reader.py checks them.
        let definition = |topic: &str| reader.topic(topic).unwrap().message_definition.clone();
        assert!(definition("/rosout").text.contains("uint8 level"), "{bag}");
        assert!(definition("/parameter_events").text.contains("Parameter[] new_parameters"));
        assert!(definition("/topic").text.contains("string data"), "{bag}");
        for topic in reader.topics() {
            assert_eq!(topic.message_definition.encoding, "ros2msg", "{bag} {}", topic.name);
        }
    }
}

fn topic_time_pairs(messages: &[BagMessage]) -> Vec<(String, i64)> {
    messages.iter().map(|m| (m.topic.name.clone(), m.log_time_ns)).collect()
}

fn pairs(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    list.iter().map(|(t, s)| (t.to_string(), *s)).collect()
}

#[test]
fn wbag_filter_and_seek_sequences_as_rosbag2_py() {
    let Some(rosbags) = rosbags_dir() else { return };
    let reader = BagReader::open(rosbags.join("mcap/wbag")).unwrap();
    let read = |topics: Option<&[&str]>, start: Option<i64>, count: usize| {
        let options = ReadOptions {
            topics: topics.map(|t| t.iter().map(|s| s.to_string()).collect()),
            start_ns: start,
            ..ReadOptions::default()
        };
        let messages: Vec<BagMessage> =
            reader.messages(options).take(count).collect::<Result<_, _>>().unwrap();
        topic_time_pairs(&messages)
    };

    // filter [AAA, CCC, DDD]: (AAA,1001), (CCC,1002), (AAA,1004); then reset_filter continues
    // after the last read message: (FFF,1004), (BBB,1004), (EEE,1005).
    assert_eq!(
        read(Some(&["AAA", "CCC", "DDD"]), None, 3),
        pairs(&[("AAA", 1001), ("CCC", 1002), ("AAA", 1004)])
    );
    let all_from_1004 = read(None, Some(1004), 8);
    let after_aaa = all_from_1004.iter().position(|p| *p == ("AAA".to_string(), 1004)).unwrap();
    assert_eq!(
        all_from_1004[after_aaa + 1..after_aaa + 4].to_vec(),
        pairs(&[("FFF", 1004), ("BBB", 1004), ("EEE", 1005)])
    );

    // seek(1822): (CCC,1822); then filter [BBB, GGG]: (GGG,1822), (GGG,1822), (BBB,1826).
    assert_eq!(read(None, Some(1822), 1), pairs(&[("CCC", 1822)]));
    let filtered = read(Some(&["BBB", "GGG"]), Some(1822), 3);
    assert_eq!(filtered, pairs(&[("GGG", 1822), ("GGG", 1822), ("BBB", 1826)]));

    // seek back to 1408 with the filter: (BBB,1408), (GGG,1408), (BBB,1413).
    assert_eq!(
        read(Some(&["BBB", "GGG"]), Some(1408), 3),
        pairs(&[("BBB", 1408), ("GGG", 1408), ("BBB", 1413)])
    );
}

#[test]
fn wbag_files_and_payloads() {
    let Some(rosbags) = rosbags_dir() else { return };
    let expected = expected_json(&rosbags);
    let decoded = decoded_for(&expected, "mcap/wbag");
    let reader = BagReader::open(rosbags.join("mcap/wbag")).unwrap();
    let summary = reader.summary();
    // metadata.yaml says 2623 / 411 ns; the storage says otherwise and wins.
    assert_eq!(reader.metadata().starting_time.nanoseconds_since_epoch, 2623);
    assert_eq!(summary.start_ns, Some(1000));
    assert_eq!(summary.end_ns, Some(2998));
    for (file, want) in summary.files.iter().zip(decoded["per_file"].as_array().unwrap()) {
        assert_eq!(file.path.file_name().unwrap().to_str(), want["file"].as_str(), "file order");
        assert_eq!(file.message_count, want["message_count"].as_u64().unwrap());
        assert_eq!(file.start_ns, want["first_timestamp_ns"].as_i64());
        assert_eq!(file.end_ns, want["last_timestamp_ns"].as_i64());
        assert!(file.indexed);
    }

    // Every payload is a std_msgs/String "Hello, world! <i> - <j>".
    let messages = read_all(&reader, ReadOptions::default());
    assert_eq!(messages.len(), 6074);
    for message in &messages {
        let text = cdr_string(&message.data);
        assert!(text.starts_with("Hello, world! "), "{text}");
    }

    // Reading the first file alone gives its first records in file order.
    let first_file = BagReader::open(rosbags.join("mcap/wbag/wbag_0.mcap")).unwrap();
    let first: Vec<BagMessage> =
        first_file.messages(ReadOptions::default()).take(10).collect::<Result<_, _>>().unwrap();
    for (message, want) in first.iter().zip(decoded["first_10_by_file_order"].as_array().unwrap()) {
        assert_eq!(message.topic.name, want["topic"].as_str().unwrap());
        assert_eq!(message.log_time_ns, want["timestamp_ns"].as_i64().unwrap());
        assert_eq!(cdr_string(&message.data), want["value"]["data"].as_str().unwrap());
    }
}

#[test]
fn cdr_test_info_as_ros2_bag_info() {
    let Some(rosbags) = rosbags_dir() else { return };
    for bag in ["mcap/cdr_test", "sqlite3/cdr_test"] {
        let reader = BagReader::open(rosbags.join(bag)).unwrap();
        let summary = reader.summary();
        assert_eq!(summary.duration_ns, 151_137_181, "{bag}");
        assert_eq!(summary.start_ns, Some(1_586_406_456_763_032_325), "{bag}");
        assert_eq!(summary.end_ns, Some(1_586_406_456_914_169_506), "{bag}");
        assert_eq!(summary.message_count, 7, "{bag}");
        assert_eq!(summary.topic_message_count("/test_topic"), Some(3));
        assert_eq!(summary.topic_message_count("/array_topic"), Some(4));
        // "Size Contribution": 156 B for /test_topic.
        let test_topic_bytes: usize =
            read_all(&reader, only_topics(&["/test_topic"])).iter().map(|m| m.data.len()).sum();
        assert_eq!(test_topic_bytes, 156, "{bag}");
        assert_eq!(summary.compression, Compression::None);
        assert_eq!(reader.metadata().version, 7);
    }
}

#[test]
fn mcap_and_sqlite3_copies_hold_the_same_bytes() {
    let Some(rosbags) = rosbags_dir() else { return };
    for name in ["talker", "cdr_test"] {
        let mcap = BagReader::open(rosbags.join("mcap").join(name)).unwrap();
        let sqlite = BagReader::open(rosbags.join("sqlite3").join(name)).unwrap();
        let a = read_all(&mcap, ReadOptions::default());
        let b = read_all(&sqlite, ReadOptions::default());
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                (&x.topic.name, x.log_time_ns, &x.data),
                (&y.topic.name, y.log_time_ns, &y.data)
            );
        }
    }
}

#[test]
fn single_file_bags_get_synthesized_metadata() {
    let Some(rosbags) = rosbags_dir() else { return };
    let reader = BagReader::open(rosbags.join("sqlite3/topics_and_services.db3")).unwrap();
    let metadata = reader.metadata();
    assert_eq!(metadata.storage_identifier, "sqlite3");
    assert_eq!(metadata.relative_file_paths, vec!["topics_and_services.db3"]);
    assert_eq!(metadata.message_count, 13);
    assert_eq!(metadata.topics_with_message_count.len(), 5);
    // The service event type finds the .srv definition stored under the service type.
    let event = reader.topic("/add_two_ints/_service_event").unwrap();
    assert!(event.message_definition.text.contains("int64 sum"));
    assert!(event.type_description_hash.starts_with("RIHS01_"));

    let reader = BagReader::open(rosbags.join("mcap/topics_and_services.mcap")).unwrap();
    assert_eq!(reader.metadata().message_count, 13);
    let with_messages =
        reader.summary().topic_message_counts.iter().filter(|(_, count)| *count > 0).count();
    assert_eq!(with_messages, 2);
}

#[test]
fn opening_a_fixture_never_creates_files_beside_it() {
    let Some(rosbags) = rosbags_dir() else { return };
    let dir = rosbags.join("sqlite3/talker");
    let before: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    let reader = BagReader::open(&dir).unwrap();
    assert_eq!(read_all(&reader, ReadOptions::default()).len(), 20);
    drop(reader);
    let after: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(before.len(), after.len(), "no -wal/-shm files");
}
