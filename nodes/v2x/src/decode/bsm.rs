//! SAE J2735 BasicSafetyMessage in a UPER `MessageFrame`.
//!
//! No freely licensed J2735 ASN.1 exists, so the types below are written from the publicly
//! documented layout (J2735 2016+ `MessageFrame` and `BSMcoreData`; every field appears in the
//! XER of the asn1_codec samples). Part II and regional extensions are kept as their raw
//! open-type bytes: the core data is what the node uses.

use rasn::prelude::*;

/// `DSRCmsgID` of a BasicSafetyMessage.
pub const MESSAGE_ID_BSM: u16 = 20;

/// `MessageFrame ::= SEQUENCE { messageId, value (open type), ... }`.
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq)]
#[rasn(automatic_tags)]
#[non_exhaustive]
pub struct MessageFrame {
    #[rasn(value("0..=32767"))]
    pub message_id: u16,
    pub value: Any,
}

impl MessageFrame {
    pub fn new(message_id: u16, value: Any) -> Self {
        Self { message_id, value }
    }
}

/// `BasicSafetyMessage ::= SEQUENCE { coreData, partII OPTIONAL, regional OPTIONAL, ... }`.
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq)]
#[rasn(automatic_tags)]
#[non_exhaustive]
pub struct BasicSafetyMessage {
    pub core_data: BsmCoreData,
    #[rasn(size("1..=8"))]
    pub part_ii: Option<SequenceOf<PartIiContent>>,
    #[rasn(size("1..=4"))]
    pub regional: Option<SequenceOf<RegionalExtension>>,
}

impl BasicSafetyMessage {
    pub fn new(core_data: BsmCoreData) -> Self {
        Self { core_data, part_ii: None, regional: None }
    }
}

/// `PartIIcontent ::= SEQUENCE { partII-Id (0..63), partII-Value (open type) }`.
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq)]
#[rasn(automatic_tags)]
pub struct PartIiContent {
    #[rasn(value("0..=63"))]
    pub part_ii_id: u8,
    pub part_ii_value: Any,
}

/// `RegionalExtension ::= SEQUENCE { regionId (0..255), regExtValue (open type) }`.
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq)]
#[rasn(automatic_tags)]
pub struct RegionalExtension {
    #[rasn(value("0..=255"))]
    pub region_id: u8,
    pub reg_ext_value: Any,
}

/// `BSMcoreData` (not extensible).
#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq)]
#[rasn(automatic_tags)]
pub struct BsmCoreData {
    /// MsgCount 0..127.
    #[rasn(value("0..=127"))]
    pub msg_cnt: u8,
    /// TemporaryID, 4 octets.
    pub id: FixedOctetString<4>,
    /// DSecond: milliseconds within the UTC minute (0..59999; 65535 unavailable).
    #[rasn(value("0..=65535"))]
    pub sec_mark: u16,
    /// Latitude in 1e-7 degrees (900000001 unavailable).
    #[rasn(value("-900000000..=900000001"))]
    pub lat: i32,
    /// Longitude in 1e-7 degrees (1800000001 unavailable).
    #[rasn(value("-1799999999..=1800000001"))]
    pub long: i32,
    /// Elevation in 0.1 m (-4096 unavailable).
    #[rasn(value("-4096..=61439"))]
    pub elev: i32,
    pub accuracy: PositionalAccuracy,
    pub transmission: TransmissionState,
    /// Speed in 0.02 m/s (8191 unavailable).
    #[rasn(value("0..=8191"))]
    pub speed: u16,
    /// Heading in 0.0125 degrees clockwise from north (28800 unavailable).
    #[rasn(value("0..=28800"))]
    pub heading: u16,
    /// SteeringWheelAngle in 1.5 degrees (127 unavailable).
    #[rasn(value("-126..=127"))]
    pub angle: i8,
    pub accel_set: AccelerationSet4Way,
    pub brakes: BrakeSystemStatus,
    pub size: VehicleSize,
}

/// One-sigma position error ellipse.
#[derive(AsnType, Decode, Encode, Debug, Clone, Copy, PartialEq)]
#[rasn(automatic_tags)]
pub struct PositionalAccuracy {
    /// 0.05 m units (254 = >= 12.7 m, 255 unavailable).
    #[rasn(value("0..=255"))]
    pub semi_major: u8,
    #[rasn(value("0..=255"))]
    pub semi_minor: u8,
    /// Orientation of the semi-major axis, 360/65535 degree units from north (65535 unavailable).
    #[rasn(value("0..=65535"))]
    pub orientation: u16,
}

#[derive(AsnType, Decode, Encode, Debug, Clone, Copy, PartialEq, Eq)]
#[rasn(enumerated)]
pub enum TransmissionState {
    Neutral = 0,
    Park = 1,
    ForwardGears = 2,
    ReverseGears = 3,
    Reserved1 = 4,
    Reserved2 = 5,
    Reserved3 = 6,
    Unavailable = 7,
}

#[derive(AsnType, Decode, Encode, Debug, Clone, Copy, PartialEq)]
#[rasn(automatic_tags)]
pub struct AccelerationSet4Way {
    /// 0.01 m/s^2 (2001 unavailable).
    #[rasn(value("-2000..=2001"))]
    pub long: i16,
    #[rasn(value("-2000..=2001"))]
    pub lat: i16,
    /// 0.02 G (-127 unavailable).
    #[rasn(value("-127..=127"))]
    pub vert: i8,
    /// 0.01 degrees/s.
    #[rasn(value("-32767..=32767"))]
    pub yaw: i16,
}

#[derive(AsnType, Decode, Encode, Debug, Clone, PartialEq)]
#[rasn(automatic_tags)]
pub struct BrakeSystemStatus {
    /// BrakeAppliedStatus: unavailable(0), leftFront(1), leftRear(2), rightFront(3), rightRear(4).
    /// (rasn's `FixedBitString<N>` is N bits wide on the wire, stored in N octets.)
    pub wheel_brakes: FixedBitString<5>,
    pub traction: TractionControlStatus,
    pub abs: AntiLockBrakeStatus,
    pub scs: StabilityControlStatus,
    pub brake_boost: BrakeBoostApplied,
    pub aux_brakes: AuxiliaryBrakeStatus,
}

macro_rules! status_enum {
    ($name:ident { $($variant:ident = $value:literal),* }) => {
        #[derive(AsnType, Decode, Encode, Debug, Clone, Copy, PartialEq, Eq)]
        #[rasn(enumerated)]
        pub enum $name { $($variant = $value),* }
    };
}
status_enum!(TractionControlStatus { Unavailable = 0, Off = 1, On = 2, Engaged = 3 });
status_enum!(AntiLockBrakeStatus { Unavailable = 0, Off = 1, On = 2, Engaged = 3 });
status_enum!(StabilityControlStatus { Unavailable = 0, Off = 1, On = 2, Engaged = 3 });
status_enum!(BrakeBoostApplied { Unavailable = 0, Off = 1, On = 2 });
status_enum!(AuxiliaryBrakeStatus { Unavailable = 0, Off = 1, On = 2, Reserved = 3 });

#[derive(AsnType, Decode, Encode, Debug, Clone, Copy, PartialEq)]
#[rasn(automatic_tags)]
pub struct VehicleSize {
    /// centimetres (0 unavailable).
    #[rasn(value("0..=1023"))]
    pub width: u16,
    /// centimetres (0 unavailable).
    #[rasn(value("0..=4095"))]
    pub length: u16,
}

/// Names in J2735's XER spelling (`forwardGears`, `unavailable`), for text output and tests.
pub fn camel(debug_name: &str) -> String {
    let mut chars = debug_name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Decodes one MessageFrame at the start of `data`; returns the BSM and the octets it used.
pub fn decode_one(data: &[u8]) -> Result<(crate::message::Bsm, usize), super::DecodeError> {
    use super::DecodeError;
    let (frame, rest) = rasn::uper::decode_with_remainder::<MessageFrame>(data).map_err(|e| {
        DecodeError::Malformed { layer: "J2735 MessageFrame", offset: 0, detail: e.to_string() }
    })?;
    let used = data.len() - rest.len();
    if frame.message_id != MESSAGE_ID_BSM {
        return Err(DecodeError::Unsupported {
            layer: "J2735 MessageFrame",
            offset: 0,
            detail: format!("messageId {} (only BasicSafetyMessage, 20)", frame.message_id),
        });
    }
    // The open type's contents start after the 16-bit messageId and the length octet(s).
    let value_offset = used.saturating_sub(frame.value.as_bytes().len());
    let bsm: BasicSafetyMessage = super::uper(frame.value.as_bytes(), "J2735 BasicSafetyMessage")
        .map_err(|e| e.shifted(value_offset))?;
    Ok((summarize(&bsm, frame.message_id), used))
}

fn summarize(bsm: &BasicSafetyMessage, message_id: u16) -> crate::message::Bsm {
    let core = &bsm.core_data;
    let name = |debug: String| camel(&debug);
    crate::message::Bsm {
        message_id,
        msg_cnt: core.msg_cnt,
        id: core.id.iter().map(|b| format!("{b:02X}")).collect(),
        sec_mark: core.sec_mark,
        lat: core.lat,
        long: core.long,
        elev: core.elev,
        accuracy_semi_major: core.accuracy.semi_major,
        accuracy_semi_minor: core.accuracy.semi_minor,
        accuracy_orientation: core.accuracy.orientation,
        transmission: name(format!("{:?}", core.transmission)),
        speed: core.speed,
        heading: core.heading,
        angle: core.angle,
        accel_long: core.accel_set.long,
        accel_lat: core.accel_set.lat,
        accel_vert: core.accel_set.vert,
        accel_yaw: core.accel_set.yaw,
        wheel_brakes: core
            .brakes
            .wheel_brakes
            .iter()
            .take(5)
            .map(|b| if *b { '1' } else { '0' })
            .collect(),
        traction: name(format!("{:?}", core.brakes.traction)),
        abs: name(format!("{:?}", core.brakes.abs)),
        scs: name(format!("{:?}", core.brakes.scs)),
        brake_boost: name(format!("{:?}", core.brakes.brake_boost)),
        aux_brakes: name(format!("{:?}", core.brakes.aux_brakes)),
        width: core.size.width,
        length: core.size.length,
        part_ii_count: bsm.part_ii.as_ref().map_or(0, |p| p.len()),
        regional_count: bsm.regional.as_ref().map_or(0, |r| r.len()),
    }
}

/// Encodes a BSM in a MessageFrame (UPER), for tests, benchmarks and the fuzz seed corpus.
pub fn encode_frame(bsm: &BasicSafetyMessage) -> Result<Vec<u8>, rasn::error::EncodeError> {
    let value = rasn::uper::encode(bsm)?;
    rasn::uper::encode(&MessageFrame::new(MESSAGE_ID_BSM, Any::new(value)))
}
