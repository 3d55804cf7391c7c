//! CAM: ETSI EN 302 637-2 v1.4.1 (protocolVersion 1 and 2) with `c-its-parser`'s rasn types.
//!
//! TS 103 900 v2.x CAMs also carry protocolVersion 2 and were designed to stay decodable by
//! release-1 receivers: their new content (`extensionContainers`, new CHOICE alternatives) sits
//! behind extension markers that the v1.4.1 types have, so the common part decodes with the
//! v1.4.1 types and the release-2 additions are skipped.

use super::common::{reference_position_v1, variant_name};
use super::{unsupported_version, uper, DecodeError};
use crate::message::{Cam, ItsHeader, WithConfidence};
use c_its_parser::standards::cam_1_4_1::cam_pdu_descriptions as cam;

pub const STANDARD: &str = "EN 302 637-2 v1.4.1 (TS 103 900 v2 common part)";

pub fn decode(data: &[u8], header: ItsHeader) -> Result<Cam, DecodeError> {
    if !(1..=2).contains(&header.protocol_version) {
        return Err(unsupported_version("CAM", header.protocol_version));
    }
    let pdu: cam::CAM = uper(data, "CAM")?;
    Ok(summarize(&pdu, header))
}

fn summarize(pdu: &cam::CAM, header: ItsHeader) -> Cam {
    let params = &pdu.cam.cam_parameters;
    let basic = &params.basic_container;
    let mut out = Cam {
        standard: STANDARD,
        header,
        generation_delta_time: pdu.cam.generation_delta_time.0,
        station_type: basic.station_type.0,
        reference_position: reference_position_v1(&basic.reference_position),
        heading: None,
        speed: None,
        drive_direction: None,
        vehicle_length: None,
        vehicle_width: None,
        yaw_rate: None,
    };
    if let cam::HighFrequencyContainer::basicVehicleContainerHighFrequency(hf) =
        &params.high_frequency_container
    {
        out.heading = Some(WithConfidence {
            value: hf.heading.heading_value.0,
            confidence: hf.heading.heading_confidence.0.into(),
        });
        out.speed = Some(WithConfidence {
            value: hf.speed.speed_value.0,
            confidence: hf.speed.speed_confidence.0.into(),
        });
        out.drive_direction = Some(variant_name(format!("{:?}", hf.drive_direction)));
        out.vehicle_length = Some(hf.vehicle_length.vehicle_length_value.0);
        out.vehicle_width = Some(hf.vehicle_width.0);
        out.yaw_rate = Some(hf.yaw_rate.yaw_rate_value.0);
    }
    out
}
