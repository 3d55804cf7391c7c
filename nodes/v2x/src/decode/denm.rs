//! DENM: ETSI EN 302 637-3 v1.3.1 (protocolVersion 1) and TS 103 831 v2.x (protocolVersion 2),
//! with `c-its-parser`'s rasn types.

use super::common::{reference_position_v1, reference_position_v2, variant_name};
use super::{unsupported_version, uper, DecodeError};
use crate::message::{Denm, ItsHeader};
use c_its_parser::standards::denm_1_3_1::denm_pdu_descriptions as v1;
use c_its_parser::standards::denm_2_2_1::denm_pdu_description as v2;

pub const STANDARD_V1: &str = "EN 302 637-3 v1.3.1";
pub const STANDARD_V2: &str = "TS 103 831 v2.2.1";

/// A `Denm` from the management container `$m` (same field names in v1 and v2), its position
/// converted by `$position`, and the already formatted `$event_type`.
macro_rules! denm {
    ($standard:expr, $header:expr, $m:expr, $position:ident, $event_type:expr) => {{
        let m = $m;
        Denm {
            standard: $standard,
            header: $header,
            originating_station_id: m.action_id.originating_station_id.0,
            sequence_number: m.action_id.sequence_number.0,
            detection_time: m.detection_time.0,
            reference_time: m.reference_time.0,
            station_type: m.station_type.0,
            event_position: $position(&m.event_position),
            validity_duration: m.validity_duration.0,
            termination: m.termination.as_ref().map(|t| variant_name(format!("{t:?}"))),
            event_type: $event_type,
        }
    }};
}

pub fn decode(data: &[u8], header: ItsHeader) -> Result<Denm, DecodeError> {
    match header.protocol_version {
        0 | 1 => {
            let pdu: v1::DENM = uper(data, "DENM (EN 302 637-3)")?;
            let event_type = pdu.denm.situation.as_ref().map(|s| {
                let e = &s.event_type;
                format!("causeCode {} subCauseCode {}", e.cause_code.0, e.sub_cause_code.0)
            });
            Ok(denm!(STANDARD_V1, header, &pdu.denm.management, reference_position_v1, event_type))
        }
        2 => {
            let pdu: v2::DENM = uper(data, "DENM (TS 103 831)")?;
            // CauseCodeV2 is a CHOICE of 256 alternatives; its debug form names the cause
            // (`accident2(AccidentSubCauseCode(0))`).
            let event_type =
                pdu.denm.situation.as_ref().map(|s| format!("{:?}", s.event_type.cc_and_scc));
            Ok(denm!(STANDARD_V2, header, &pdu.denm.management, reference_position_v2, event_type))
        }
        other => Err(unsupported_version("DENM", other)),
    }
}
