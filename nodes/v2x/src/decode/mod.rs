//! Decoding of raw V2X frames into [`Decoded`] messages.
//!
//! Entry point: [`decode_frame`]. What the bytes are is declared by the caller ([`Input`]: the
//! `V2xPacket.encoding` of a topic message, the kind configured for a UDP port, or a CLI flag),
//! because bare UPER carries no reliable self-description (the vanetza CPM vectors carry a
//! made-up message id 255).
//!
//! Layers: [`frame`] (GeoNetworking, IEEE 1609.2 envelope, BTP), then one module per message:
//! [`cam`], [`cpm`], [`denm`] (ETSI, via `c-its-parser`'s rasn types) and [`bsm`] (SAE J2735,
//! our own rasn types).

pub mod bsm;
pub mod cam;
mod common;
pub mod cpm;
pub mod denm;
pub mod frame;

use crate::message::{Decoded, Envelope, ItsHeader, Message};
use edgefusion_msgs::edgefusion::V2xPacket;

/// A facilities-layer message kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PayloadKind {
    Cam,
    Cpm,
    Denm,
    Bsm,
}

impl PayloadKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Cam => "cam",
            Self::Cpm => "cpm",
            Self::Denm => "denm",
            Self::Bsm => "bsm",
        }
    }

    /// ETSI messageID (TS 102 894-2) of the kind; None for J2735.
    fn etsi_message_id(self) -> Option<u8> {
        match self {
            Self::Denm => Some(1),
            Self::Cam => Some(2),
            Self::Cpm => Some(14),
            Self::Bsm => None,
        }
    }

    fn from_etsi_message_id(id: u8) -> Option<Self> {
        match id {
            1 => Some(Self::Denm),
            2 => Some(Self::Cam),
            14 => Some(Self::Cpm),
            _ => None,
        }
    }
}

/// What a byte buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Input {
    /// A GeoNetworking packet (basic header first), secured or not; also a bare IEEE 1609.2 /
    /// TS 103 097 envelope around the common header, as some OBUs hand it over.
    GeoNetworking,
    /// A BTP-B (or BTP-A) header and the facilities payload.
    Btp,
    /// A bare UPER message of the given kind.
    Uper(PayloadKind),
}

impl Input {
    /// What the fuzz target and the corpus replay declare their bytes to be, from the first
    /// byte of a fuzz input (any byte selects one of the six).
    pub fn from_fuzz_selector(selector: u8) -> Self {
        match selector % 6 {
            0 => Input::GeoNetworking,
            1 => Input::Btp,
            2 => Input::Uper(PayloadKind::Cam),
            3 => Input::Uper(PayloadKind::Cpm),
            4 => Input::Uper(PayloadKind::Denm),
            _ => Input::Uper(PayloadKind::Bsm),
        }
    }

    /// From a `V2xPacket.encoding` constant.
    pub fn from_encoding(encoding: u8) -> Option<Self> {
        match encoding {
            V2xPacket::ENCODING_GEONETWORKING => Some(Self::GeoNetworking),
            V2xPacket::ENCODING_BTP => Some(Self::Btp),
            V2xPacket::ENCODING_UPER_CAM => Some(Self::Uper(PayloadKind::Cam)),
            V2xPacket::ENCODING_UPER_CPM => Some(Self::Uper(PayloadKind::Cpm)),
            V2xPacket::ENCODING_UPER_BSM => Some(Self::Uper(PayloadKind::Bsm)),
            V2xPacket::ENCODING_UPER_DENM => Some(Self::Uper(PayloadKind::Denm)),
            _ => None,
        }
    }

    /// The `V2xPacket.encoding` value.
    pub fn encoding(self) -> u8 {
        match self {
            Self::GeoNetworking => V2xPacket::ENCODING_GEONETWORKING,
            Self::Btp => V2xPacket::ENCODING_BTP,
            Self::Uper(PayloadKind::Cam) => V2xPacket::ENCODING_UPER_CAM,
            Self::Uper(PayloadKind::Cpm) => V2xPacket::ENCODING_UPER_CPM,
            Self::Uper(PayloadKind::Bsm) => V2xPacket::ENCODING_UPER_BSM,
            Self::Uper(PayloadKind::Denm) => V2xPacket::ENCODING_UPER_DENM,
        }
    }

    /// From a name: `gn`, `btp`, `cam`, `cpm`, `denm`, `bsm`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "gn" | "geonetworking" => Some(Self::GeoNetworking),
            "btp" => Some(Self::Btp),
            "cam" => Some(Self::Uper(PayloadKind::Cam)),
            "cpm" => Some(Self::Uper(PayloadKind::Cpm)),
            "denm" => Some(Self::Uper(PayloadKind::Denm)),
            "bsm" => Some(Self::Uper(PayloadKind::Bsm)),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::GeoNetworking => "gn",
            Self::Btp => "btp",
            Self::Uper(kind) => kind.name(),
        }
    }
}

/// Why a frame could not be decoded. Each names the layer and the byte offset in the frame
/// where that layer starts.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    #[error("empty frame")]
    Empty,
    #[error("{layer} at byte {offset}: truncated ({detail})")]
    Truncated { layer: &'static str, offset: usize, detail: String },
    #[error("{layer} at byte {offset}: malformed: {detail}")]
    Malformed { layer: &'static str, offset: usize, detail: String },
    #[error("{layer} at byte {offset}: unsupported: {detail}")]
    Unsupported { layer: &'static str, offset: usize, detail: String },
    #[error("IEEE 1609.2 envelope at byte {offset}: {detail} (secured content is not supported)")]
    SecuredUnsupported { offset: usize, detail: String },
    #[error("decoder failed internally on this input (a bug in a decoding crate): {detail}")]
    Internal { detail: String },
}

impl DecodeError {
    /// Counter name of the reason.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::Truncated { .. } => "truncated",
            Self::Malformed { .. } => "malformed",
            Self::Unsupported { .. } => "unsupported",
            Self::SecuredUnsupported { .. } => "secured_unsupported",
            Self::Internal { .. } => "decoder_internal",
        }
    }

    /// The same error, for a layer found `by` bytes further into an enclosing frame.
    pub(crate) fn shifted(self, by: usize) -> Self {
        match self {
            Self::Truncated { layer, offset, detail } => {
                Self::Truncated { layer, offset: offset + by, detail }
            }
            Self::Malformed { layer, offset, detail } => {
                Self::Malformed { layer, offset: offset + by, detail }
            }
            Self::Unsupported { layer, offset, detail } => {
                Self::Unsupported { layer, offset: offset + by, detail }
            }
            Self::SecuredUnsupported { offset, detail } => {
                Self::SecuredUnsupported { offset: offset + by, detail }
            }
            other => other,
        }
    }
}

/// Decodes one frame. Never panics: a panic inside a decoding crate (malformed input hitting
/// a bug there) is caught and returned as [`DecodeError::Internal`].
pub fn decode_frame(data: &[u8], input: Input) -> Result<Decoded, DecodeError> {
    match std::panic::catch_unwind(|| decode_frame_unguarded(data, input)) {
        Ok(result) => result,
        Err(panic) => {
            let detail = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panic".to_string());
            Err(DecodeError::Internal { detail })
        }
    }
}

/// [`decode_frame`] without the panic guard (for the fuzzer, which must see panics).
#[doc(hidden)]
pub fn decode_frame_unguarded(data: &[u8], input: Input) -> Result<Decoded, DecodeError> {
    if data.is_empty() {
        return Err(DecodeError::Empty);
    }
    match input {
        Input::GeoNetworking => {
            let unwrapped = frame::parse_geonetworking(data)?;
            let message = decode_payload(unwrapped.payload, unwrapped.kind_hint, None)
                .map_err(|e| e.shifted(unwrapped.payload_offset))?;
            Ok(Decoded { envelope: unwrapped.envelope, message })
        }
        Input::Btp => {
            let (btp, payload) = frame::parse_btp(data, 0)?;
            let hint = frame::kind_of_port(btp.destination_port);
            let message = decode_payload(payload, hint, None).map_err(|e| e.shifted(4))?;
            Ok(Decoded { envelope: Envelope { btp: Some(btp), ..Envelope::default() }, message })
        }
        Input::Uper(kind) => {
            let message = decode_payload(data, None, Some(kind))?;
            Ok(Decoded { envelope: Envelope::default(), message })
        }
    }
}

/// Decodes a facilities payload. `declared` is authoritative (bare UPER); otherwise the ITS
/// header's messageID decides and `hint` (from the BTP port) covers unknown ids.
fn decode_payload(
    data: &[u8],
    hint: Option<PayloadKind>,
    declared: Option<PayloadKind>,
) -> Result<Message, DecodeError> {
    if declared == Some(PayloadKind::Bsm) {
        return bsm_decode(data).map(Message::Bsm);
    }
    let header = its_header(data)?;
    let by_id = PayloadKind::from_etsi_message_id(header.message_id);
    let kind = match (declared, by_id) {
        (Some(declared), Some(found)) if declared != found => {
            return Err(DecodeError::Malformed {
                layer: "ITS PDU header",
                offset: 0,
                detail: format!(
                    "declared {} but messageID {} is {}",
                    declared.name(),
                    header.message_id,
                    found.name()
                ),
            })
        }
        (Some(declared), _) => declared,
        (None, Some(found)) => found,
        (None, None) => hint.ok_or_else(|| DecodeError::Unsupported {
            layer: "ITS PDU header",
            offset: 0,
            detail: format!("messageID {} (only CAM 2, DENM 1, CPM 14)", header.message_id),
        })?,
    };
    if kind.etsi_message_id().is_some() && by_id.is_none() {
        tracing::debug!("messageID {} taken as {}", header.message_id, kind.name());
    }
    match kind {
        PayloadKind::Cam => cam::decode(data, header).map(Message::Cam),
        PayloadKind::Cpm => cpm::decode(data, header).map(Message::Cpm),
        PayloadKind::Denm => denm::decode(data, header).map(Message::Denm),
        PayloadKind::Bsm => bsm_decode(data).map(Message::Bsm),
    }
}

/// The ITS PDU header: protocolVersion (8 bits), messageID (8 bits), stationID (32 bits) are
/// the first 6 octets of every ETSI message in UPER.
fn its_header(data: &[u8]) -> Result<ItsHeader, DecodeError> {
    match data {
        [version, id, a, b, c, d, ..] => Ok(ItsHeader {
            protocol_version: *version,
            message_id: *id,
            station_id: u32::from_be_bytes([*a, *b, *c, *d]),
        }),
        _ => Err(DecodeError::Truncated {
            layer: "ITS PDU header",
            offset: 0,
            detail: format!("{} bytes, the header needs 6", data.len()),
        }),
    }
}

/// UPER decoding of a rasn type, with the layer named in the error.
pub(crate) fn uper<T: rasn::Decode>(data: &[u8], layer: &'static str) -> Result<T, DecodeError> {
    rasn::uper::decode::<T>(data).map_err(|e| {
        let detail = e.to_string();
        if detail.contains("ncomplete") || detail.contains("Need more") {
            DecodeError::Truncated { layer, offset: 0, detail }
        } else {
            DecodeError::Malformed { layer, offset: 0, detail }
        }
    })
}

fn unsupported_version(layer: &'static str, version: u8) -> DecodeError {
    DecodeError::Unsupported { layer, offset: 0, detail: format!("protocolVersion {version}") }
}

fn bsm_decode(data: &[u8]) -> Result<crate::message::Bsm, DecodeError> {
    bsm::decode_one(data).map(|(bsm, _)| bsm)
}

/// Splits a buffer of UPER J2735 MessageFrames written back to back (each is octet-aligned)
/// and decodes each; stops at the first error, returning what was decoded before it with the
/// error's byte offset.
pub fn decode_bsm_stream(data: &[u8]) -> (Vec<(usize, crate::message::Bsm)>, Option<DecodeError>) {
    let mut out = Vec::new();
    let mut offset = 0;
    while offset < data.len() {
        let rest = data.get(offset..).unwrap_or_default();
        match bsm::decode_one(rest) {
            Ok((bsm, used)) => {
                out.push((offset, bsm));
                offset += used.max(1);
            }
            Err(e) => return (out, Some(e.shifted(offset))),
        }
    }
    (out, None)
}
