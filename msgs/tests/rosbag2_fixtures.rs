//! Every message of rosbag2's own test bags decodes with our CDR codec to the values
//! `EXPECTED.json` lists (decoded there by an independent reader), and re-encodes to the
//! identical bytes. The message types below are test_msgs / rcl_interfaces / service event
//! types written from the `.msg` files in `fixtures/rosbags/msg`; they exist only for this test.

use edgefusion_bag::{BagReader, ReadOptions};
use edgefusion_msgs::builtin_interfaces::Time;
use edgefusion_msgs::cdr;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::Value;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct StdString {
    data: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Log {
    stamp: Time,
    level: u8,
    name: String,
    msg: String,
    file: String,
    function: String,
    line: u32,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct BasicTypes {
    bool_value: bool,
    byte_value: u8,
    char_value: u8,
    float32_value: f32,
    float64_value: f64,
    int8_value: i8,
    uint8_value: u8,
    int16_value: i16,
    uint16_value: u16,
    int32_value: i32,
    uint32_value: u32,
    int64_value: i64,
    uint64_value: u64,
}

/// A constants-only message: ROS 2 gives it one hidden byte.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Constants {
    structure_needs_at_least_one_member: u8,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Arrays {
    bool_values: [bool; 3],
    byte_values: [u8; 3],
    char_values: [u8; 3],
    float32_values: [f32; 3],
    float64_values: [f64; 3],
    int8_values: [i8; 3],
    uint8_values: [u8; 3],
    int16_values: [i16; 3],
    uint16_values: [u16; 3],
    int32_values: [i32; 3],
    uint32_values: [u32; 3],
    int64_values: [i64; 3],
    uint64_values: [u64; 3],
    string_values: [String; 3],
    basic_types_values: [BasicTypes; 3],
    constants_values: [Constants; 3],
    defaults_values: [BasicTypes; 3],
    bool_values_default: [bool; 3],
    byte_values_default: [u8; 3],
    char_values_default: [u8; 3],
    float32_values_default: [f32; 3],
    float64_values_default: [f64; 3],
    int8_values_default: [i8; 3],
    uint8_values_default: [u8; 3],
    int16_values_default: [i16; 3],
    uint16_values_default: [u16; 3],
    int32_values_default: [i32; 3],
    uint32_values_default: [u32; 3],
    int64_values_default: [i64; 3],
    uint64_values_default: [u64; 3],
    string_values_default: [String; 3],
    alignment_check: i32,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct ParameterValue {
    #[serde(rename = "type")]
    type_: u8,
    bool_value: bool,
    integer_value: i64,
    double_value: f64,
    string_value: String,
    byte_array_value: Vec<u8>,
    bool_array_value: Vec<bool>,
    integer_array_value: Vec<i64>,
    double_array_value: Vec<f64>,
    string_array_value: Vec<String>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Parameter {
    name: String,
    value: ParameterValue,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct ParameterEvent {
    stamp: Time,
    node: String,
    new_parameters: Vec<Parameter>,
    changed_parameters: Vec<Parameter>,
    deleted_parameters: Vec<Parameter>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct ServiceEventInfo {
    event_type: u8,
    stamp: Time,
    client_gid: [u8; 16],
    sequence_number: i64,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct AddTwoIntsRequest {
    a: i64,
    b: i64,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct AddTwoIntsResponse {
    sum: i64,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct AddTwoIntsEvent {
    info: ServiceEventInfo,
    request: Vec<AddTwoIntsRequest>,
    response: Vec<AddTwoIntsResponse>,
}

/// Decodes, checks the re-encoding is byte-identical, and returns the value as JSON.
///
/// Fast-CDR leaves alignment padding uninitialised (the talker bags carry stray bytes there),
/// so padding is found by encoding twice with different fill bytes, and every other byte
/// must be identical.
fn round_trip<T: Serialize + DeserializeOwned>(bytes: &[u8], what: &str) -> Value {
    let value: T = cdr::decode(bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
    let (mut zeros, mut ones) = (Vec::new(), Vec::new());
    cdr::encode_with_padding(&value, &mut zeros, 0x00).unwrap();
    cdr::encode_with_padding(&value, &mut ones, 0xff).unwrap();
    assert_eq!(zeros.len(), bytes.len(), "{what}: re-encoded length differs");
    for (i, &original) in bytes.iter().enumerate() {
        let is_padding = zeros[i] != ones[i];
        assert!(
            is_padding || zeros[i] == original,
            "{what}: byte {i} is {} in the bag, {} re-encoded",
            original,
            zeros[i]
        );
    }
    assert_eq!(cdr::encode(&value).unwrap(), zeros);
    serde_json::to_value(&value).unwrap()
}

fn decode_by_type(type_name: &str, bytes: &[u8], what: &str) -> Value {
    match type_name {
        "std_msgs/msg/String" => round_trip::<StdString>(bytes, what),
        "rcl_interfaces/msg/Log" => round_trip::<Log>(bytes, what),
        "rcl_interfaces/msg/ParameterEvent" => round_trip::<ParameterEvent>(bytes, what),
        "test_msgs/msg/BasicTypes" => round_trip::<BasicTypes>(bytes, what),
        "test_msgs/msg/Arrays" => round_trip::<Arrays>(bytes, what),
        // The sqlite3 bag names the service-event topic by the service type.
        "example_interfaces/srv/AddTwoInts_Event" | "example_interfaces/srv/AddTwoInts" => {
            round_trip::<AddTwoIntsEvent>(bytes, what)
        }
        other => panic!("{what}: no test type for {other}"),
    }
}

/// JSON numbers from the two sides may differ in representation (1 vs 1.0): compare as f64.
/// EXPECTED.json writes `char[16]` GIDs as hex strings.
fn assert_same(actual: &Value, expected: &Value, what: &str) {
    match (actual, expected) {
        (Value::Array(bytes), Value::String(hex)) => {
            let ours: String =
                bytes.iter().map(|b| format!("{:02x}", b.as_u64().unwrap())).collect();
            assert_eq!(&ours, hex, "{what}")
        }
        (Value::Number(a), Value::Number(e)) => {
            assert_eq!(a.as_f64(), e.as_f64(), "{what}: {a} != {e}")
        }
        (Value::Array(a), Value::Array(e)) => {
            assert_eq!(a.len(), e.len(), "{what}: lengths");
            for (i, (a, e)) in a.iter().zip(e).enumerate() {
                assert_same(a, e, &format!("{what}[{i}]"));
            }
        }
        (Value::Object(a), Value::Object(e)) => {
            for (key, e) in e {
                let a = a.get(key).unwrap_or_else(|| panic!("{what}: no field {key}"));
                assert_same(a, e, &format!("{what}.{key}"));
            }
        }
        _ => assert_eq!(actual, expected, "{what}"),
    }
}

#[test]
fn every_fixture_message_decodes_to_the_expected_values_and_reencodes_identically() {
    let Some(dir) = edgefusion_testdata::fixture("rosbags") else {
        return;
    };
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("EXPECTED.json")).unwrap()).unwrap();
    let bags = [
        ("mcap/talker", "mcap/talker and sqlite3/talker"),
        ("sqlite3/talker", "mcap/talker and sqlite3/talker"),
        ("mcap/cdr_test", "mcap/cdr_test and sqlite3/cdr_test"),
        ("sqlite3/cdr_test", "mcap/cdr_test and sqlite3/cdr_test"),
        ("mcap/topics_and_services.mcap", "mcap/topics_and_services.mcap"),
        ("sqlite3/topics_and_services.db3", "sqlite3/topics_and_services.db3"),
        ("mcap/wbag", "mcap/wbag"),
    ];
    let mut total = 0;
    for (bag, key) in bags {
        let reader = BagReader::open(dir.join(bag)).unwrap_or_else(|e| panic!("{bag}: {e}"));
        // wbag's entry summarises its 6074 messages instead of listing them.
        let listed = expected["decoded"][key]["messages"].as_array();
        let mut count = 0;
        for (i, msg) in reader.messages(ReadOptions::default()).enumerate() {
            let msg = msg.unwrap_or_else(|e| panic!("{bag}: {e}"));
            let what = format!("{bag} message {i} on {}", msg.topic.name);
            let value = decode_by_type(&msg.topic.type_name, &msg.data, &what);
            if let Some(want) = listed.and_then(|l| l.get(i)) {
                assert_eq!(want["topic"], msg.topic.name.as_str(), "{what}");
                assert_eq!(want["cdr_bytes"], msg.data.len(), "{what}");
                assert_same(&value, &want["value"], &what);
            }
            count += 1;
        }
        let want = expected["decoded"][key]["message_count"].as_u64().unwrap();
        assert_eq!(count, want, "{bag}: message count");
        total += count;
    }
    assert_eq!(total, 20 + 20 + 7 + 7 + 13 + 13 + 6074);
}
