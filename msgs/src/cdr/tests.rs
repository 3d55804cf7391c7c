use super::*;
use crate::sensor_msgs::{PointCloud2, PointField};
use crate::std_msgs::Header;
use crate::Message;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq, Default)]
struct Mixed {
    a: u8,
    b: f64,
    c: String,
    d: Vec<u16>,
    e: [i32; 2],
}

#[test]
fn aligns_relative_to_payload_and_terminates_strings() {
    let bytes = encode(&Mixed { a: 1, b: 2.0, c: "hi".into(), d: vec![7], e: [-1, 3] }).unwrap();
    #[rustfmt::skip]
    let expected: Vec<u8> = [
        &[0u8, 1, 0, 0][..],                    // encapsulation: CDR little endian
        &[1, 0, 0, 0, 0, 0, 0, 0],              // a + padding to 8 (counted after the header)
        &2.0f64.to_le_bytes(),                  // b
        &[3, 0, 0, 0, b'h', b'i', 0],           // c: length incl. NUL
        &[0, 1, 0, 0, 0, 7, 0],                 // pad to 4, count 1, element 7
        &[0, 0],                                // pad to 4
        &(-1i32).to_le_bytes(), &3i32.to_le_bytes(), // e: fixed array, no count
    ].concat();
    assert_eq!(bytes, expected);
    assert_eq!(decode::<Mixed>(&bytes).unwrap().c, "hi");
}

#[test]
fn reads_big_endian() {
    #[rustfmt::skip]
    let be: Vec<u8> = [
        &[0u8, 0, 0, 0][..],
        &[1, 0, 0, 0, 0, 0, 0, 0], &2.0f64.to_be_bytes(),
        &[0, 0, 0, 3, b'h', b'i', 0], &[0, 0, 0, 0, 1, 0, 7], &[0, 0],
        &(-1i32).to_be_bytes(), &3i32.to_be_bytes(),
    ].concat();
    let m: Mixed = decode(&be).unwrap();
    assert_eq!(m, Mixed { a: 1, b: 2.0, c: "hi".into(), d: vec![7], e: [-1, 3] });
}

#[test]
fn round_trips_a_point_cloud() {
    let cloud = PointCloud2 {
        header: Header::new(crate::builtin_interfaces::Time { sec: 5, nanosec: 6 }, "lidar_top"),
        height: 1,
        width: 2,
        fields: vec![PointField::new("x", 0, PointField::FLOAT32, 1)],
        is_bigendian: false,
        point_step: 4,
        row_step: 8,
        data: vec![1, 2, 3, 4, 5, 6, 7, 8],
        is_dense: true,
    };
    let bytes = cloud.encode().unwrap();
    assert_eq!(PointCloud2::decode(&bytes).unwrap(), cloud);
}

fn error_of(bytes: &[u8]) -> CdrError {
    decode::<Mixed>(bytes).unwrap_err()
}

#[test]
fn short_buffer_names_offset_and_field() {
    let good = encode(&Mixed { b: 1.0, ..Default::default() }).unwrap();
    let err = error_of(&good[..16]);
    assert_eq!(err.offset, 12, "b starts after the header, a and its padding");
    assert_eq!(err.path, "b");
    assert!(matches!(err.kind, CdrErrorKind::ShortBuffer { needed: 8, available: 4 }));
    assert!(err.to_string().contains("offset 12"), "{err}");
}

#[test]
fn string_without_terminator_is_an_error() {
    let mut bytes = encode(&Mixed { c: "hi".into(), ..Default::default() }).unwrap();
    bytes[26] = b'!'; // the NUL after "hi"
    let err = error_of(&bytes);
    assert_eq!(err.kind, CdrErrorKind::UnterminatedString);
    assert_eq!((err.offset, err.path.as_str()), (20, "c"));
}

#[test]
fn sequence_length_past_the_end_fails_before_allocating() {
    let mut bytes = encode(&Mixed::default()).unwrap();
    let d_len_at = 4 + 8 + 8 + 4 + 1 + 3; // header, a+pad, b, c (len + NUL), pad
    bytes[d_len_at..d_len_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let err = error_of(&bytes);
    assert!(matches!(err.kind, CdrErrorKind::LengthPastEnd { declared: 0xffff_ffff, .. }), "{err}");
    assert_eq!((err.offset, err.path.as_str()), (d_len_at, "d"));
}

#[test]
fn rejects_bad_encapsulation_trailing_bytes_and_bools() {
    assert!(matches!(error_of(&[0, 7, 0, 0]).kind, CdrErrorKind::BadEncapsulation([0, 7])));
    assert!(matches!(error_of(&[0, 1]).kind, CdrErrorKind::ShortBuffer { .. }));
    let mut bytes = encode(&Mixed::default()).unwrap();
    bytes.extend_from_slice(&[9; 8]);
    assert!(matches!(error_of(&bytes).kind, CdrErrorKind::TrailingBytes(8)));
    let err = decode::<bool>(&[0, 1, 0, 0, 2]).unwrap_err();
    assert_eq!(err.kind, CdrErrorKind::InvalidBool(2));
}

#[test]
fn nested_error_path_names_the_element() {
    let cloud = PointCloud2 {
        fields: vec![PointField::new("x", 0, 7, 1), PointField::new("y", 4, 7, 1)],
        ..Default::default()
    };
    let mut bytes = cloud.encode().unwrap();
    let at = bytes.windows(2).position(|w| w == b"y\0").unwrap();
    bytes[at + 1] = b'z';
    let err = PointCloud2::decode(&bytes).unwrap_err();
    assert_eq!(err.path, "fields[1].name");
    assert_eq!(err.kind, CdrErrorKind::UnterminatedString);
}
