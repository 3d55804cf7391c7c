//! Conversions shared by the ETSI messages (ITS-Container v1.3.1 and ETSI-ITS-CDD v2 types).

use crate::message::ReferencePosition;
use c_its_parser::standards::{
    cdd_1_3_1_1::its_container as cdd1, cdd_2_2_1::etsi_its_cdd as cdd2,
};

/// `alt_020_00` (Rust variant) -> `alt-020-00` (ASN.1 identifier).
fn asn1_name(debug: String) -> String {
    debug.replace('_', "-")
}

/// The ITS-Container v1 and ETSI-ITS-CDD v2 `ReferencePosition`s are distinct generated types
/// with the same field names: one body for both.
macro_rules! reference_position {
    ($p:expr) => {{
        let p = $p;
        let e = &p.position_confidence_ellipse;
        ReferencePosition {
            latitude: p.latitude.0,
            longitude: p.longitude.0,
            semi_major_confidence: e.semi_major_confidence.0,
            semi_minor_confidence: e.semi_minor_confidence.0,
            semi_major_orientation: e.semi_major_orientation.0,
            altitude: p.altitude.altitude_value.0,
            altitude_confidence: asn1_name(format!("{:?}", p.altitude.altitude_confidence)),
        }
    }};
}

pub fn reference_position_v1(p: &cdd1::ReferencePosition) -> ReferencePosition {
    reference_position!(p)
}

pub fn reference_position_v2(p: &cdd2::ReferencePosition) -> ReferencePosition {
    reference_position!(p)
}

pub fn variant_name(debug: String) -> String {
    asn1_name(debug)
}
