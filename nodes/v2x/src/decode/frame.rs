//! The layers around a facilities message: GeoNetworking (EN 302 636-4-1, through the
//! `geonetworking` crate that `c-its-parser` builds on), the IEEE 1609.2 / TS 103 097 security
//! envelope (same crate; the signature is not verified), and BTP (EN 302 636-5-1).

use super::{DecodeError, PayloadKind};
use crate::message::{Btp, Envelope, GeoNetworking, Security, SourcePosition};
use c_its_parser::gn::{self, en302636_4_1 as gn4, ieee1609dot2, Decode as _};

/// A GeoNetworking frame with its layers peeled off.
pub struct Unwrapped<'a> {
    pub envelope: Envelope,
    /// The facilities payload (after BTP).
    pub payload: &'a [u8],
    /// Where `payload` starts in the input (for error offsets); for secured frames, where it
    /// starts inside the envelope.
    pub payload_offset: usize,
    /// Kind suggested by the BTP destination port.
    pub kind_hint: Option<PayloadKind>,
}

/// IEEE 1609.2 `Ieee1609Dot2Data.protocolVersion`: a buffer starting with it is an envelope
/// without the GeoNetworking basic header (a basic header's first octet is version << 4 | next
/// header, i.e. 0x0_ / 0x1_ with next header 0..2: never 0x03).
const IEEE1609DOT2_VERSION: u8 = 3;

pub fn parse_geonetworking(data: &[u8]) -> Result<Unwrapped<'_>, DecodeError> {
    if data.first() == Some(&IEEE1609DOT2_VERSION) {
        return parse_envelope(data, 0, 1);
    }
    let basic = gn4::BasicHeader::decode(data)
        .map_err(|e| gn_error("GeoNetworking basic header", data, &e))?;
    let version = u8::from(basic.decoded.version);
    match basic.decoded.next_header {
        gn4::NextAfterBasic::SecuredPacket => parse_envelope(data, basic.bytes_consumed, version),
        gn4::NextAfterBasic::CommonHeader => {
            let (common, extended, after_extended) = parse_common(data, basic.bytes_consumed)?;
            let length = usize::from(common.payload_length);
            let Some(after_gn) = data.get(after_extended..after_extended + length) else {
                return Err(DecodeError::Truncated {
                    layer: "GeoNetworking payload",
                    offset: after_extended,
                    detail: format!(
                        "payload length {length}, {} bytes left",
                        data.len().saturating_sub(after_extended)
                    ),
                });
            };
            let geonetworking = geonetworking_of(version, &common, extended.as_ref());
            finish(None, geonetworking, common.next_header, after_gn, after_extended)
        }
        gn4::NextAfterBasic::Any => Err(DecodeError::Unsupported {
            layer: "GeoNetworking basic header",
            offset: 0,
            detail: "next header 'any'".into(),
        }),
    }
}

/// A TS 103 097 envelope at `offset` whose payload is common header + extended header + BTP +
/// message.
fn parse_envelope(data: &[u8], offset: usize, version: u8) -> Result<Unwrapped<'_>, DecodeError> {
    let bytes = data.get(offset..).unwrap_or_default();
    let decoded = ieee1609dot2::Ieee1609Dot2Data::decode(bytes)
        .map_err(|e| gn_error("IEEE 1609.2 envelope", bytes, &e).shifted(offset))?;
    let envelope = decoded.decoded;
    let security = security_of(&envelope);
    let Some(inner) = envelope.data_payload() else {
        return Err(DecodeError::SecuredUnsupported {
            offset,
            detail: "no plain payload (encrypted or external data)".into(),
        });
    };
    let inner_offset = offset_in(data, inner);
    let (common, extended, after_extended) = parse_common(data, inner_offset)?;
    // Inside the envelope the payload runs to the end of the unsecured data.
    let inner_end = inner_offset + inner.len();
    let after_gn = data.get(after_extended..inner_end).unwrap_or_default();
    let geonetworking = geonetworking_of(version, &common, extended.as_ref());
    finish(Some(security), geonetworking, common.next_header, after_gn, after_extended)
}

/// Common and extended header at `offset`; returns them and the offset after them.
fn parse_common(
    data: &[u8],
    offset: usize,
) -> Result<(gn4::CommonHeader, Option<gn4::ExtendedHeader>, usize), DecodeError> {
    let bytes = data.get(offset..).unwrap_or_default();
    let common = gn4::CommonHeader::decode(bytes)
        .map_err(|e| gn_error("GeoNetworking common header", bytes, &e).shifted(offset))?;
    let at = offset + common.bytes_consumed;
    let after_common = data.get(at..).unwrap_or_default();
    let header_type = common.decoded.header_type_and_subtype;
    let patched = without_speed_sign(header_type, after_common);
    let (extended, extended_len) =
        decode_extended(header_type, &patched).map_err(|e| e.shifted(at))?;
    Ok((common.decoded, extended, at + extended_len))
}

/// geonetworking 0.4.2 panics on a long position vector whose 15-bit signed speed has its sign
/// bit set (any reversing vehicle): it builds an `i15` from the unsigned 15 bits. The speed is
/// not used here, so the sign bit is cleared in a copy of the extended header before decoding.
fn without_speed_sign(header_type: gn4::HeaderType, extended: &[u8]) -> Vec<u8> {
    use gn4::HeaderType as H;
    // The long position vector starts the extended header of SHB and beacons; the others put a
    // sequence number and a reserved field first. Speed is at octet 20 of the vector.
    // The longest extended header (LS reply) has 48 octets.
    let extended = extended.get(..64).unwrap_or(extended);
    let lpv = match header_type {
        H::Any => return extended.to_vec(),
        H::Beacon | H::TopologicallyScopedBroadcast(gn4::BroadcastType::SingleHop) => 0,
        _ => 4,
    };
    let mut copy = extended.to_vec();
    if let Some(byte) = copy.get_mut(lpv + 20) {
        *byte &= !0x40;
    }
    copy
}

fn finish<'a>(
    security: Option<Security>,
    geonetworking: GeoNetworking,
    next_header: gn4::NextAfterCommon,
    after_gn: &'a [u8],
    btp_offset: usize,
) -> Result<Unwrapped<'a>, DecodeError> {
    let (btp, payload) = match next_header {
        gn4::NextAfterCommon::BTPB => parse_btp(after_gn, btp_offset)?,
        gn4::NextAfterCommon::BTPA => {
            let (mut btp, payload) = parse_btp(after_gn, btp_offset)?;
            btp.kind = 'A';
            (btp, payload)
        }
        other => {
            return Err(DecodeError::Unsupported {
                layer: "GeoNetworking common header",
                offset: 0,
                detail: format!("next header {other:?} (only BTP-A/B)"),
            })
        }
    };
    Ok(Unwrapped {
        envelope: Envelope { security, geonetworking: Some(geonetworking), btp: Some(btp) },
        payload,
        payload_offset: btp_offset + 4,
        kind_hint: match btp.kind {
            'B' => kind_of_port(btp.destination_port),
            _ => None,
        },
    })
}

/// BTP header: destination port and port info (BTP-B) / source port (BTP-A), big endian.
/// `offset` is where it starts in the frame, for the error.
pub fn parse_btp(data: &[u8], offset: usize) -> Result<(Btp, &[u8]), DecodeError> {
    match data {
        [a, b, c, d, rest @ ..] => Ok((
            Btp {
                kind: 'B',
                destination_port: u16::from_be_bytes([*a, *b]),
                port_info: u16::from_be_bytes([*c, *d]),
            },
            rest,
        )),
        _ => Err(DecodeError::Truncated {
            layer: "BTP header",
            offset,
            detail: format!("{} bytes, the header needs 4", data.len()),
        }),
    }
}

/// Well-known BTP ports (ETSI TS 103 248).
pub fn kind_of_port(port: u16) -> Option<PayloadKind> {
    match port {
        2001 => Some(PayloadKind::Cam),
        2002 => Some(PayloadKind::Denm),
        2009 => Some(PayloadKind::Cpm),
        _ => None,
    }
}

fn security_of(data: &ieee1609dot2::Ieee1609Dot2Data<'_>) -> Security {
    let content = match &data.content {
        ieee1609dot2::Ieee1609Dot2Content::UnsecuredData(_) => "unsecuredData",
        ieee1609dot2::Ieee1609Dot2Content::SignedData(_) => "signedData",
        _ => "encryptedData",
    };
    Security { protocol_version: data.protocol_version.0, content, signature_verified: false }
}

/// The extended header after a common header (the `geonetworking` crate does this only inside
/// `Packet`).
fn decode_extended(
    header_type: gn4::HeaderType,
    data: &[u8],
) -> Result<(Option<gn4::ExtendedHeader>, usize), DecodeError> {
    use gn4::{ExtendedHeader as E, HeaderType as H};
    let err = |e: gn::DecodeError<&[u8]>| gn_error("GeoNetworking extended header", data, &e);
    Ok(match header_type {
        H::Any => (None, 0),
        H::Beacon => gn4::Beacon::decode(data)
            .map(|d| (Some(E::Beacon(d.decoded)), d.bytes_consumed))
            .map_err(err)?,
        H::GeoUnicast => gn4::GeoUnicast::decode(data)
            .map(|d| (Some(E::GUC(d.decoded)), d.bytes_consumed))
            .map_err(err)?,
        H::GeoAnycast(_) => gn4::GeoBroadcast::decode(data)
            .map(|d| (Some(E::GAC(d.decoded)), d.bytes_consumed))
            .map_err(err)?,
        H::GeoBroadcast(_) => gn4::GeoBroadcast::decode(data)
            .map(|d| (Some(E::GBC(d.decoded)), d.bytes_consumed))
            .map_err(err)?,
        H::TopologicallyScopedBroadcast(gn4::BroadcastType::SingleHop) => {
            gn4::SingleHopBroadcast::decode(data)
                .map(|d| (Some(E::SHB(d.decoded)), d.bytes_consumed))
                .map_err(err)?
        }
        H::TopologicallyScopedBroadcast(_) => gn4::TopologicallyScopedBroadcast::decode(data)
            .map(|d| (Some(E::TSB(d.decoded)), d.bytes_consumed))
            .map_err(err)?,
        H::LocationService(gn4::LocationServiceType::Request) => gn4::LSRequest::decode(data)
            .map(|d| (Some(E::LSRequest(d.decoded)), d.bytes_consumed))
            .map_err(err)?,
        H::LocationService(_) => gn4::LSReply::decode(data)
            .map(|d| (Some(E::LSReply(d.decoded)), d.bytes_consumed))
            .map_err(err)?,
    })
}

fn geonetworking_of(
    version: u8,
    common: &gn4::CommonHeader,
    extended: Option<&gn4::ExtendedHeader>,
) -> GeoNetworking {
    use gn4::ExtendedHeader as E;
    let (header_type, spv) = match extended {
        None => ("ANY", None),
        Some(E::SHB(h)) => ("SHB", Some(&h.source_position_vector)),
        Some(E::TSB(h)) => ("TSB", Some(&h.source_position_vector)),
        Some(E::GUC(h)) => ("GUC", Some(&h.source_position_vector)),
        Some(E::GBC(h)) => ("GBC", Some(&h.source_position_vector)),
        Some(E::GAC(h)) => ("GAC", Some(&h.source_position_vector)),
        Some(E::Beacon(h)) => ("BEACON", Some(&h.source_position_vector)),
        Some(E::LSRequest(h)) => ("LS_REQUEST", Some(&h.source_position_vector)),
        Some(E::LSReply(h)) => ("LS_REPLY", Some(&h.source_position_vector)),
    };
    GeoNetworking {
        version,
        header_type: header_type.to_string(),
        traffic_class: u8::from(common.traffic_class.traffic_class_id),
        max_hop_limit: common.maximum_hop_limit,
        payload_length: common.payload_length,
        source: spv.map(|v| SourcePosition {
            station_type: v.gn_address.station_type as u8,
            timestamp_ms: v.timestamp.0,
            latitude: v.latitude,
            longitude: v.longitude,
        }),
    }
}

/// Offset of `part` inside `whole` (both slices of the same buffer).
fn offset_in(whole: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize).min(whole.len())
}

fn gn_error(layer: &'static str, data: &[u8], error: &gn::DecodeError<&[u8]>) -> DecodeError {
    match error {
        gn::DecodeError::Nom([], kind) => {
            DecodeError::Truncated { layer, offset: data.len(), detail: format!("{kind:?}") }
        }
        gn::DecodeError::Nom(rest, kind) => DecodeError::Malformed {
            layer,
            offset: offset_in(data, rest),
            detail: format!("{kind:?}"),
        },
        gn::DecodeError::ParserError(message) if message.contains("end of input") => {
            DecodeError::Truncated { layer, offset: data.len(), detail: message.clone() }
        }
        other => DecodeError::Malformed { layer, offset: 0, detail: format!("{other:?}") },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::{self, Sender};

    #[test]
    fn reversing_sender_in_the_position_vector() {
        // Speed -0.01 m/s: 15-bit two's complement 0x7fff (with the accuracy bit clear).
        let s = Sender {
            station_id: 5,
            latitude: 1,
            longitude: 2,
            heading: 0,
            speed: 0x7fff,
            its_ms: 3,
        };
        let frame = samples::geonetworking_shb(&s, 2001, &samples::cam(&Sender { speed: 0, ..s }));
        assert_eq!(&frame[32..34], &[0x7f, 0xff]);
        let unwrapped = parse_geonetworking(&frame).unwrap();
        assert_eq!(unwrapped.kind_hint, Some(PayloadKind::Cam));
        let source = unwrapped.envelope.geonetworking.unwrap().source.unwrap();
        assert_eq!((source.latitude, source.longitude, source.timestamp_ms), (1, 2, 3));
        // Truncated payload: named, with the offset where the payload starts.
        let e = parse_geonetworking(&frame[..50]).err().unwrap();
        assert!(matches!(e, DecodeError::Truncated { offset: 40, .. }), "{e}");
    }
}
