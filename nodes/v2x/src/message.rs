//! What a decoded V2X frame says, independent of the ASN.1 release it came in.
//!
//! Values keep the units of the standards (1e-7 degree, 0.1 degree, 0.01 m/s, ...) so they can
//! be compared with what other decoders print; the `*_si` helpers convert. `None` means the
//! field is absent or its "unavailable" value was sent.

use serde::Serialize;

/// One decoded frame: the envelope it came in and the facilities-layer message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decoded {
    pub envelope: Envelope,
    pub message: Message,
}

/// The layers around the message, when present.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Envelope {
    /// IEEE 1609.2 / ETSI TS 103 097 signed or unsecured data around the GeoNetworking packet.
    /// The signature is *not* verified (no trust store on the node).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security: Option<Security>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geonetworking: Option<GeoNetworking>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub btp: Option<Btp>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Security {
    /// Ieee1609Dot2Data protocolVersion (3).
    pub protocol_version: u8,
    /// `signedData` or `unsecuredData`.
    pub content: &'static str,
    pub signature_verified: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GeoNetworking {
    pub version: u8,
    /// e.g. `SHB` (single-hop broadcast), `TSB`, `GBC`.
    pub header_type: String,
    pub traffic_class: u8,
    pub max_hop_limit: u8,
    pub payload_length: u16,
    /// Source position vector of the extended header, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourcePosition>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourcePosition {
    /// GN address: station type from the address field.
    pub station_type: u8,
    /// Milliseconds modulo 2^32 (TAI-based ITS time).
    pub timestamp_ms: u32,
    pub latitude: i32,
    pub longitude: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Btp {
    /// `A` or `B`.
    pub kind: char,
    pub destination_port: u16,
    /// BTP-B destination port info, BTP-A source port.
    pub port_info: u16,
}

/// The facilities-layer message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Message {
    Cam(Cam),
    Cpm(Cpm),
    Denm(Denm),
    Bsm(Bsm),
}

impl Message {
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::Cam(_) => "CAM",
            Self::Cpm(_) => "CPM",
            Self::Denm(_) => "DENM",
            Self::Bsm(_) => "BSM",
        }
    }
}

/// ETSI ITS PDU header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ItsHeader {
    pub protocol_version: u8,
    pub message_id: u8,
    pub station_id: u32,
}

/// ETSI ReferencePosition: 1e-7 degree, confidence ellipse in cm (95 %), orientation in 0.1
/// degree clockwise from north, altitude in cm.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferencePosition {
    pub latitude: i32,
    pub longitude: i32,
    pub semi_major_confidence: u16,
    pub semi_minor_confidence: u16,
    pub semi_major_orientation: u16,
    pub altitude: i32,
    /// e.g. `alt-020-00`, `unavailable`.
    pub altitude_confidence: String,
}

/// Value with the standard's confidence, both in the standard's units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WithConfidence<T> {
    pub value: T,
    pub confidence: u16,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cam {
    /// Which ASN.1 the payload was decoded with.
    pub standard: &'static str,
    pub header: ItsHeader,
    /// Milliseconds of TimestampIts modulo 65536.
    pub generation_delta_time: u16,
    pub station_type: u8,
    pub reference_position: ReferencePosition,
    /// 0.1 degree clockwise from north, confidence 0.1 degree (vehicle CAMs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heading: Option<WithConfidence<u16>>,
    /// 0.01 m/s, confidence 0.01 m/s.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed: Option<WithConfidence<u16>>,
    /// `forward`, `backward`, `unavailable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drive_direction: Option<String>,
    /// 0.1 m.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vehicle_length: Option<u16>,
    /// 0.1 m.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vehicle_width: Option<u8>,
    /// 0.01 degree/s.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub yaw_rate: Option<i16>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cpm {
    pub standard: &'static str,
    pub header: ItsHeader,
    /// TR 103 562 (v1): generationDeltaTime.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation_delta_time: Option<u16>,
    /// TS 103 324 (v2): referenceTime, milliseconds since 2004-01-01 (TimestampIts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_time: Option<u64>,
    /// v1 only (v2 has no station type in the CPM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub station_type: Option<u8>,
    pub reference_position: ReferencePosition,
    /// Frame of the objects' x/y (see [`CpmFrame`]).
    pub object_frame: CpmFrame,
    /// Sender's heading (0.1 degree from north) when it is a vehicle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_heading: Option<WithConfidence<u16>>,
    /// Sender's speed (0.01 m/s), v1 vehicles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_speed: Option<WithConfidence<u16>>,
    pub number_of_perceived_objects: u8,
    pub objects: Vec<PerceivedObject>,
}

/// Coordinate frame of CPM object offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CpmFrame {
    /// x east, y north (TS 103 324 always; TR 103 562 for road-side units).
    EastNorth,
    /// x along the sender's heading, y to its left (ISO 8855; TR 103 562 vehicles). Object
    /// speeds are relative to the sender's.
    SenderVehicle,
    /// A TR 103 562 vehicle CPM without an originating vehicle container: frame unknown.
    Unknown,
}

/// A perceived object: offsets in cm, speeds in 0.01 m/s, confidences in the same units
/// (95 % level), times in ms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PerceivedObject {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_id: Option<u16>,
    /// Measurement time relative to the message's reference time (ms).
    pub time_of_measurement: i16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_age: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_confidence: Option<u8>,
    pub x_distance: WithConfidence<i32>,
    pub y_distance: WithConfidence<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub z_distance: Option<WithConfidence<i32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_speed: Option<WithConfidence<i32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y_speed: Option<WithConfidence<i32>>,
    /// Yaw in 0.1 degree, counter-clockwise from the frame's x axis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub yaw_angle: Option<WithConfidence<u16>>,
    /// Bounding box along x / y / z in 0.1 m.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimension_x: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimension_y: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimension_z: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Denm {
    pub standard: &'static str,
    pub header: ItsHeader,
    pub originating_station_id: u32,
    pub sequence_number: u16,
    /// TimestampIts (ms since 2004-01-01).
    pub detection_time: u64,
    pub reference_time: u64,
    pub station_type: u8,
    pub event_position: ReferencePosition,
    /// How long the event is valid after the reference time (s).
    pub validity_duration: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination: Option<String>,
    /// Cause (and sub cause) as the ASN.1 names them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
}

/// SAE J2735 BSM core data, in J2735 units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bsm {
    pub message_id: u16,
    pub msg_cnt: u8,
    /// TemporaryID as 8 hex digits.
    pub id: String,
    pub sec_mark: u16,
    pub lat: i32,
    pub long: i32,
    pub elev: i32,
    pub accuracy_semi_major: u8,
    pub accuracy_semi_minor: u8,
    pub accuracy_orientation: u16,
    pub transmission: String,
    pub speed: u16,
    pub heading: u16,
    pub angle: i8,
    pub accel_long: i16,
    pub accel_lat: i16,
    pub accel_vert: i8,
    pub accel_yaw: i16,
    /// BrakeAppliedStatus bits, `10000` = unavailable.
    pub wheel_brakes: String,
    pub traction: String,
    pub abs: String,
    pub scs: String,
    pub brake_boost: String,
    pub aux_brakes: String,
    pub width: u16,
    pub length: u16,
    pub part_ii_count: usize,
    pub regional_count: usize,
}

impl Bsm {
    /// The 4-byte temporary id as a number (the `station_id` of a BSM object).
    pub fn temporary_id(&self) -> u32 {
        u32::from_str_radix(&self.id, 16).unwrap_or(0)
    }
}
