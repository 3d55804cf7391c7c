//! Bag replay onto the in-process bus: order, stamps, typed delivery, filters, remaps,
//! /clock, start offset, and bad messages skipped without stopping the replay.

use edgefusion::replay::{play, PlayOptions, Recorder, SerializedMessage};
use edgefusion_bag::{BagReader, BagWriter, ReadOptions, StorageId, WriterOptions};
use edgefusion_bus::{Bus, Qos};
use edgefusion_msgs::rosgraph_msgs::Clock;
use edgefusion_msgs::std_msgs;
use std::sync::atomic::AtomicBool;

fn fast() -> PlayOptions {
    PlayOptions { rate: None, ..PlayOptions::default() }
}

#[test]
fn known_types_arrive_typed_unknown_ones_serialized_with_bag_stamps() {
    let Some(bag) = edgefusion_testdata::fixture("rosbags/mcap/talker") else { return };
    let reader = BagReader::open(&bag).unwrap();
    let bus = Bus::new();
    let strings =
        bus.subscribe::<std_msgs::String>("/topic", Qos::Reliable { depth: 100 }).unwrap();
    let logs = bus.subscribe_any("/rosout", Qos::Reliable { depth: 100 }).unwrap();
    let report = play(&reader, &bus, &fast(), &AtomicBool::new(false)).unwrap();

    let texts: Vec<String> = strings.try_iter_now().map(|m| m.data.clone()).collect();
    let expected: Vec<String> = (0..10).map(|i| format!("Hello, world! {i}")).collect();
    assert_eq!(texts, expected);

    let bag_times: Vec<i64> = reader
        .messages(ReadOptions { topics: Some(vec!["/rosout".into()]), ..Default::default() })
        .map(|m| m.unwrap().log_time_ns)
        .collect();
    let mut got_times = Vec::new();
    while let Ok(Some(message)) = logs.try_recv() {
        let serialized =
            message.downcast::<SerializedMessage>().expect("Log has no Rust type here");
        assert_eq!(serialized.topic.type_name, "rcl_interfaces/msg/Log");
        got_times.push(message.stamp_ns);
    }
    assert_eq!(got_times, bag_times);
    assert_eq!(report.published["/topic"], 10);
    assert_eq!(report.published["/rosout"], 10);
}

#[test]
fn topic_filter_remap_offset_and_clock() {
    let Some(bag) = edgefusion_testdata::fixture("rosbags/mcap/talker") else { return };
    let reader = BagReader::open(&bag).unwrap();
    let start = reader.summary().start_ns.unwrap();
    let bus = Bus::new();
    let renamed =
        bus.subscribe::<std_msgs::String>("/chatter", Qos::Reliable { depth: 100 }).unwrap();
    let logs = bus.subscribe_any("/rosout", Qos::Reliable { depth: 100 }).unwrap();
    let clock = bus.subscribe::<Clock>("/clock", Qos::Reliable { depth: 1000 }).unwrap();
    let options = PlayOptions {
        topics: Some(vec!["/topic".into()]),
        remaps: vec![("/topic".into(), "/chatter".into())],
        // The talker publishes at 2 Hz: skipping 2 s drops the first 4 or 5 strings.
        start_offset_ns: 2_000_000_000,
        publish_clock: true,
        ..fast()
    };
    play(&reader, &bus, &options, &AtomicBool::new(false)).unwrap();
    let texts: Vec<String> = renamed.try_iter_now().map(|m| m.data.clone()).collect();
    let expected_first = reader
        .messages(ReadOptions {
            topics: Some(vec!["/topic".into()]),
            start_ns: Some(start + 2_000_000_000),
            ..Default::default()
        })
        .count();
    assert_eq!(texts.len(), expected_first);
    assert!(texts.len() < 10 && texts.last().unwrap() == "Hello, world! 9", "{texts:?}");
    assert!(logs.try_recv().unwrap().is_none(), "/rosout was filtered out");
    let ticks: Vec<i64> = clock.try_iter_now().map(|c| c.clock.as_nanos()).collect();
    assert!(!ticks.is_empty());
    assert!(ticks.windows(2).all(|w| w[0] < w[1]), "clock goes forward");
    assert!(ticks[0] >= start + 2_000_000_000);
}

#[test]
fn a_bag_type_that_differs_from_the_subscribers_type_is_an_error_naming_both() {
    let Some(bag) = edgefusion_testdata::fixture("rosbags/mcap/talker") else { return };
    let reader = BagReader::open(&bag).unwrap();
    let bus = Bus::new();
    // A node that expects strings on /rosout; the bag has rcl_interfaces/msg/Log there.
    let _sub = bus.subscribe::<std_msgs::String>("/rosout", Qos::Reliable { depth: 100 }).unwrap();
    let error = play(&reader, &bus, &fast(), &AtomicBool::new(false)).unwrap_err();
    let message = format!("{error:#}");
    assert!(message.contains("/rosout") && message.contains("rcl_interfaces/msg/Log"), "{message}");
    assert!(message.contains("std_msgs::String"), "{message}");
}

#[test]
fn a_message_that_does_not_decode_is_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad");
    let mut writer = BagWriter::create(
        &path,
        WriterOptions { storage: StorageId::Sqlite3, ..Default::default() },
    )
    .unwrap();
    writer.add_topic(edgefusion::topics::bag_topic("/chatter", "std_msgs/msg/String")).unwrap();
    let good =
        |text: &str| edgefusion_msgs::cdr::encode(&std_msgs::String { data: text.into() }).unwrap();
    writer.write("/chatter", 1, 1, &good("first")).unwrap();
    writer.write("/chatter", 2, 2, &[0, 1, 0, 0, 200, 0, 0, 0, b'x']).unwrap(); // length past the end
    writer.write("/chatter", 3, 3, &good("third")).unwrap();
    writer.finish().unwrap();

    let reader = BagReader::open(&path).unwrap();
    let bus = Bus::new();
    let sub = bus.subscribe::<std_msgs::String>("/chatter", Qos::Reliable { depth: 10 }).unwrap();
    let report = play(&reader, &bus, &fast(), &AtomicBool::new(false)).unwrap();
    let texts: Vec<String> = sub.try_iter_now().map(|m| m.data.clone()).collect();
    assert_eq!(texts, ["first", "third"]);
    assert_eq!(report.undecodable, 1);
}

#[test]
fn recording_a_replay_reproduces_every_message_and_stamp() {
    let Some(bag) = edgefusion_testdata::fixture("rosbags/sqlite3/cdr_test") else { return };
    let reader = BagReader::open(&bag).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("copy");
    let bus = Bus::new();
    let topics: Vec<String> = reader.topics().iter().map(|t| t.name.clone()).collect();
    let recorder =
        Recorder::start(&bus, &topics, BagWriter::create(&out, WriterOptions::default()).unwrap())
            .unwrap();
    play(&reader, &bus, &fast(), &AtomicBool::new(false)).unwrap();
    let report = recorder.finish().unwrap();
    assert_eq!(report.recorded.values().sum::<u64>(), 7);

    let key = |m: edgefusion_bag::BagMessage| {
        (m.log_time_ns, m.topic.name.clone(), m.topic.type_name.clone(), m.data)
    };
    let original: Vec<_> =
        reader.messages(ReadOptions::default()).map(|m| key(m.unwrap())).collect();
    let copy: Vec<_> = BagReader::open(&out)
        .unwrap()
        .messages(ReadOptions::default())
        .map(|m| key(m.unwrap()))
        .collect();
    assert_eq!(copy, original);
}

/// Drains what is queued without blocking.
trait TryIterNow<T> {
    fn try_iter_now(&self) -> std::vec::IntoIter<std::sync::Arc<T>>;
}

impl<T: Send + Sync + 'static> TryIterNow<T> for edgefusion_bus::Subscription<T> {
    fn try_iter_now(&self) -> std::vec::IntoIter<std::sync::Arc<T>> {
        let mut out = Vec::new();
        while let Ok(Some(m)) = self.try_recv() {
            out.push(m);
        }
        out.into_iter()
    }
}
