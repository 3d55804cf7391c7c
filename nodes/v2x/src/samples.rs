//! Messages made by our own code (never copied from fixtures): encoded with rasn from values
//! given here, for tests, the benchmark and the fuzz seed corpus.
//!
//! The ETSI messages are written as JER (ASN.1 JSON) and re-encoded to UPER by rasn with
//! `c-its-parser`'s types, which keeps the values readable next to the standard's field names.

use crate::decode::bsm;
use c_its_parser::standards::{
    cam_1_4_1::cam_pdu_descriptions as cam, cdd_2_2_1::etsi_its_cdd as cdd2,
    cpm_1::cpm_pdu_descriptions as cpm1, cpm_2_1_1::cpm_pdu_descriptions as cpm2,
    cpm_2_1_1::cpm_perceived_object_container as cpm2_objects,
    denm_2_2_1::denm_pdu_description as denm2,
};
use rasn::types::{Any, FixedBitString, FixedOctetString};

/// Where and when a sample sender is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sender {
    pub station_id: u32,
    /// 1e-7 degree.
    pub latitude: i32,
    pub longitude: i32,
    /// 0.1 degree clockwise from north.
    pub heading: u16,
    /// 0.01 m/s.
    pub speed: u16,
    /// TimestampIts (ms since 2004) of generation.
    pub its_ms: i64,
}

impl Sender {
    /// The sender of the benchmark inputs and the fuzz seeds: 49.011 N 8.4237 E, heading east
    /// at 12.5 m/s.
    pub const EXAMPLE: Sender = Sender {
        station_id: 4242,
        latitude: 490_110_000,
        longitude: 84_237_000,
        heading: 900,
        speed: 1250,
        its_ms: 626_000_000_123,
    };
}

/// One perceived object: offsets in cm, speeds in 0.01 m/s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleObject {
    pub id: u16,
    pub x_cm: i32,
    pub y_cm: i32,
    pub vx_cms: i16,
    pub vy_cms: i16,
}

/// `n` objects spread around the sender (for the benchmark and the fuzz corpus).
pub fn spread_objects(n: usize) -> Vec<SampleObject> {
    (0..n)
        .map(|i| {
            let i = i as i32;
            SampleObject {
                id: i as u16,
                x_cm: (i % 8) * 1500 - 4000,
                y_cm: (i / 8) * 700 - 2500,
                vx_cms: ((i * 37) % 2000 - 1000) as i16,
                vy_cms: ((i * 53) % 600 - 300) as i16,
            }
        })
        .collect()
}

fn reference_position_v1(s: &Sender) -> String {
    format!(
        r#"{{"latitude":{},"longitude":{},"positionConfidenceEllipse":{{"semiMajorConfidence":150,"semiMinorConfidence":100,"semiMajorOrientation":{}}},"altitude":{{"altitudeValue":12000,"altitudeConfidence":"alt-002-00"}}}}"#,
        s.latitude, s.longitude, s.heading
    )
}

fn jer<T: rasn::Decode>(text: &str) -> T {
    rasn::jer::decode(text).unwrap_or_else(|e| panic!("sample JER does not decode: {e}\n{text}"))
}

fn uper<T: rasn::Encode>(value: &T) -> Vec<u8> {
    rasn::uper::encode(value).unwrap_or_else(|e| panic!("sample does not encode: {e}"))
}

/// A CAM (EN 302 637-2 v1.4.1) from a vehicle, UPER.
pub fn cam(s: &Sender) -> Vec<u8> {
    let text = format!(
        r#"{{"header":{{"protocolVersion":2,"messageID":2,"stationID":{id}}},"cam":{{"generationDeltaTime":{gdt},"camParameters":{{"basicContainer":{{"stationType":5,"referencePosition":{pos}}},"highFrequencyContainer":{{"basicVehicleContainerHighFrequency":{{"heading":{{"headingValue":{heading},"headingConfidence":10}},"speed":{{"speedValue":{speed},"speedConfidence":20}},"driveDirection":"forward","vehicleLength":{{"vehicleLengthValue":45,"vehicleLengthConfidenceIndication":"noTrailerPresent"}},"vehicleWidth":18,"longitudinalAcceleration":{{"longitudinalAccelerationValue":0,"longitudinalAccelerationConfidence":102}},"curvature":{{"curvatureValue":0,"curvatureConfidence":"unavailable"}},"curvatureCalculationMode":"yawRateUsed","yawRate":{{"yawRateValue":0,"yawRateConfidence":"unavailable"}}}}}}}}}}}}"#,
        id = s.station_id,
        gdt = s.its_ms.rem_euclid(65_536),
        pos = reference_position_v1(s),
        heading = s.heading,
        speed = s.speed,
    );
    uper(&jer::<cam::CAM>(&text))
}

/// A CPM per TR 103 562 (v1) from a vehicle, objects in its frame, UPER.
pub fn cpm_v1(s: &Sender, objects: &[SampleObject]) -> Vec<u8> {
    let objects: Vec<String> = objects
        .iter()
        .map(|o| {
            format!(
                r#"{{"objectID":{},"timeOfMeasurement":-20,"objectAge":300,"objectConfidence":80,"xDistance":{{"value":{},"confidence":40}},"yDistance":{{"value":{},"confidence":40}},"xSpeed":{{"value":{},"confidence":30}},"ySpeed":{{"value":{},"confidence":30}},"planarObjectDimension1":{{"value":45,"confidence":5}},"planarObjectDimension2":{{"value":18,"confidence":5}},"objectRefPoint":0}}"#,
                o.id % 256, o.x_cm, o.y_cm, o.vx_cms, o.vy_cms
            )
        })
        .collect();
    let container = if objects.is_empty() {
        String::new()
    } else {
        format!(r#","perceivedObjectContainer":[{}]"#, objects.join(","))
    };
    let text = format!(
        r#"{{"header":{{"protocolVersion":1,"messageID":14,"stationID":{id}}},"cpm":{{"generationDeltaTime":{gdt},"cpmParameters":{{"managementContainer":{{"stationType":5,"referencePosition":{pos}}},"stationDataContainer":{{"originatingVehicleContainer":{{"heading":{{"headingValue":{heading},"headingConfidence":10}},"speed":{{"speedValue":{speed},"speedConfidence":20}},"driveDirection":"forward"}}}}{container},"numberOfPerceivedObjects":{n}}}}}}}"#,
        id = s.station_id,
        gdt = s.its_ms.rem_euclid(65_536),
        pos = reference_position_v1(s),
        heading = s.heading,
        speed = s.speed,
        n = objects.len().min(255),
    );
    uper(&jer::<cpm1::CPM>(&text))
}

/// A CPM per TS 103 324 v2.1.1 (objects east/north of the reference position), UPER.
pub fn cpm_v2(s: &Sender, objects: &[SampleObject]) -> Vec<u8> {
    let list: Vec<String> = objects
        .iter()
        .map(|o| {
            format!(
                r#"{{"objectId":{},"measurementDeltaTime":-20,"position":{{"xCoordinate":{{"value":{},"confidence":40}},"yCoordinate":{{"value":{},"confidence":40}}}},"velocity":{{"cartesianVelocity":{{"xVelocity":{{"value":{},"confidence":30}},"yVelocity":{{"value":{},"confidence":30}}}}}},"objectDimensionX":{{"value":45,"confidence":5}},"objectDimensionY":{{"value":18,"confidence":5}},"objectAge":300}}"#,
                o.id, o.x_cm, o.y_cm, o.vx_cms, o.vy_cms
            )
        })
        .collect();
    let container = format!(
        r#"{{"numberOfPerceivedObjects":{},"perceivedObjects":[{}]}}"#,
        list.len(),
        list.join(",")
    );
    let container: cpm2_objects::PerceivedObjectContainer = jer(&container);
    let management = format!(
        r#"{{"referenceTime":{},"referencePosition":{}}}"#,
        s.its_ms,
        reference_position_v1(s)
    );
    let management: cpm2::ManagementContainer = jer(&management);
    // The containers are open types: each carries its own UPER encoding.
    let wrapped =
        cpm2::WrappedCpmContainer::new(cpm2::CpmContainerId(5), Any::new(uper(&container)));
    let header = cdd2::ItsPduHeader::new(
        cdd2::OrdinalNumber1B(2),
        cdd2::MessageId(14),
        cdd2::StationId(s.station_id),
    );
    let message = cpm2::CollectivePerceptionMessage::new(
        header,
        cpm2::CpmPayload::new(
            management,
            cpm2::ConstraintWrappedCpmContainers(cpm2::WrappedCpmContainers(vec![wrapped])),
        ),
    );
    uper(&message)
}

/// A DENM per TS 103 831 (v2) at the sender's position, UPER.
pub fn denm_v2(s: &Sender, sequence_number: u16) -> Vec<u8> {
    let text = format!(
        r#"{{"header":{{"protocolVersion":2,"messageId":1,"stationId":{id}}},"denm":{{"management":{{"actionId":{{"originatingStationId":{id},"sequenceNumber":{seq}}},"detectionTime":{t},"referenceTime":{t},"eventPosition":{pos},"validityDuration":60,"stationType":5}}}}}}"#,
        id = s.station_id,
        seq = sequence_number,
        t = s.its_ms,
        pos = reference_position_v1(s),
    );
    uper(&jer::<denm2::DENM>(&text))
}

/// A J2735 BSM in a MessageFrame, UPER. `sec_mark` in ms within the minute; speed 0.02 m/s;
/// heading 0.0125 degree.
pub fn bsm(
    temporary_id: u32,
    sec_mark: u16,
    latitude: i32,
    longitude: i32,
    speed: u16,
    heading: u16,
) -> Vec<u8> {
    let core = bsm::BsmCoreData {
        msg_cnt: 1,
        id: FixedOctetString::new(temporary_id.to_be_bytes()),
        sec_mark,
        lat: latitude,
        long: longitude,
        elev: 1200,
        accuracy: bsm::PositionalAccuracy { semi_major: 40, semi_minor: 20, orientation: 0 },
        transmission: bsm::TransmissionState::ForwardGears,
        speed,
        heading,
        angle: 0,
        accel_set: bsm::AccelerationSet4Way { long: 0, lat: 0, vert: 0, yaw: 0 },
        brakes: bsm::BrakeSystemStatus {
            wheel_brakes: FixedBitString::ZERO,
            traction: bsm::TractionControlStatus::Off,
            abs: bsm::AntiLockBrakeStatus::Off,
            scs: bsm::StabilityControlStatus::Off,
            brake_boost: bsm::BrakeBoostApplied::Off,
            aux_brakes: bsm::AuxiliaryBrakeStatus::Off,
        },
        size: bsm::VehicleSize { width: 180, length: 450 },
    };
    bsm::encode_frame(&bsm::BasicSafetyMessage::new(core))
        .unwrap_or_else(|e| panic!("sample BSM does not encode: {e}"))
}

/// A GeoNetworking single-hop broadcast (EN 302 636-4-1: basic, common and SHB headers) with a
/// BTP-B header for `port` (EN 302 636-5-1) around `payload`.
pub fn geonetworking_shb(s: &Sender, port: u16, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x11, 0x00, 0x1a, 0x01]; // version 1, next: common header; lifetime; RHL 1
    let length = (payload.len() + 4) as u16;
    frame.extend_from_slice(&[0x20, 0x50, 0x02, 0x00]); // next: BTP-B; TSB single hop; TC 2; flags
    frame.extend_from_slice(&length.to_be_bytes());
    frame.extend_from_slice(&[0x01, 0x00]); // max hop limit, reserved
                                            // Long position vector: GN address (station type 5, MID from the station id), timestamp,
                                            // position, accuracy+speed, heading; then 4 octets of media-dependent data.
    frame.extend_from_slice(&[0x14, 0x00, 0x00, 0x00]);
    frame.extend_from_slice(&s.station_id.to_be_bytes());
    frame.extend_from_slice(&(s.its_ms as u32).to_be_bytes());
    frame.extend_from_slice(&s.latitude.to_be_bytes());
    frame.extend_from_slice(&s.longitude.to_be_bytes());
    frame.extend_from_slice(&(s.speed & 0x7fff).to_be_bytes());
    frame.extend_from_slice(&s.heading.to_be_bytes());
    frame.extend_from_slice(&[0, 0, 0, 0]);
    frame.extend_from_slice(&port.to_be_bytes());
    frame.extend_from_slice(&[0, 0]);
    frame.extend_from_slice(payload);
    frame
}
