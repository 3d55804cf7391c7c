//! `edgefusion v2x decode FILE [--hex] [--json] [--kind ...]`: decode a raw frame or UPER file
//! for inspecting what an OBU sends. [`decode_file`] does the work; the CLI prints
//! [`render_text`] or `serde_json` of the [`FileReport`].

use crate::decode::{decode_bsm_stream, decode_frame, DecodeError, Input, PayloadKind};
use crate::message::{Decoded, Envelope, Message};
use serde::Serialize;
use std::fmt::Write as _;

/// How to read the file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeOptions {
    /// The file is hex text (whitespace and line breaks allowed, as `xxd -p` writes).
    pub hex: bool,
    /// What the bytes are; None = guess (J2735 MessageFrame, GeoNetworking, or an ETSI
    /// message whose header names it).
    pub kind: Option<Input>,
}

/// Everything decoded from one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileReport {
    /// Bytes after hex decoding.
    pub bytes: usize,
    /// How the bytes were read (`gn`, `btp`, `cam`, `cpm`, `denm`, `bsm`).
    pub input: &'static str,
    pub messages: Vec<Entry>,
    /// Decoding stopped here (e.g. a truncated last frame of a BSM stream).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub offset: usize,
    #[serde(skip_serializing_if = "is_default")]
    pub envelope: Envelope,
    pub message: Message,
}

fn is_default(e: &Envelope) -> bool {
    e == &Envelope::default()
}

#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("not hex text: {what} at character {offset}")]
    Hex { what: &'static str, offset: usize },
    #[error("empty input")]
    Empty,
    #[error("cannot tell what the {bytes} bytes are (not a J2735 MessageFrame, GeoNetworking packet{tried} or ETSI message with a known id); pass --kind gn|btp|cam|cpm|denm|bsm")]
    Unknown { bytes: usize, tried: String },
    #[error("{input}: {error}")]
    Decode { input: &'static str, error: DecodeError },
}

/// Decodes a whole file: one frame, or every J2735 MessageFrame of a concatenated stream.
pub fn decode_file(bytes: &[u8], options: &DecodeOptions) -> Result<FileReport, InspectError> {
    let data = if options.hex { parse_hex(bytes)? } else { bytes.to_vec() };
    if data.is_empty() {
        return Err(InspectError::Empty);
    }
    let input = match options.kind {
        Some(kind) => kind,
        None => guess(&data)?,
    };
    let mut report =
        FileReport { bytes: data.len(), input: input.name(), messages: Vec::new(), error: None };
    if input == Input::Uper(PayloadKind::Bsm) {
        let (bsms, error) = decode_bsm_stream(&data);
        if bsms.is_empty() {
            if let Some(error) = error {
                return Err(InspectError::Decode { input: input.name(), error });
            }
        }
        report.messages = bsms
            .into_iter()
            .map(|(offset, bsm)| Entry {
                offset,
                envelope: Envelope::default(),
                message: Message::Bsm(bsm),
            })
            .collect();
        report.error = error.map(|e| e.to_string());
        return Ok(report);
    }
    let Decoded { envelope, message } = decode_frame(&data, input)
        .map_err(|error| InspectError::Decode { input: input.name(), error })?;
    report.messages.push(Entry { offset: 0, envelope, message });
    Ok(report)
}

/// What the bytes most likely are.
fn guess(data: &[u8]) -> Result<Input, InspectError> {
    // J2735 MessageFrame: extension bit 0, messageId 20 in 15 bits.
    if data.starts_with(&[0x00, 0x14]) {
        return Ok(Input::Uper(PayloadKind::Bsm));
    }
    let first = data.first().copied().unwrap_or_default();
    // GeoNetworking basic header (version 0/1, next header common/secured) or a bare
    // IEEE 1609.2 envelope (protocol version 3): the decode decides.
    let mut tried = String::new();
    if first == 0x03 || (first >> 4 <= 1 && matches!(first & 0x0f, 1 | 2)) {
        match decode_frame(data, Input::GeoNetworking) {
            Ok(_) => return Ok(Input::GeoNetworking),
            Err(e) => tried = format!(" ({e})"),
        }
    }
    match data.get(1) {
        Some(1) => Ok(Input::Uper(PayloadKind::Denm)),
        Some(2) => Ok(Input::Uper(PayloadKind::Cam)),
        Some(14) => Ok(Input::Uper(PayloadKind::Cpm)),
        _ => Err(InspectError::Unknown { bytes: data.len(), tried }),
    }
}

/// Hex text to bytes; whitespace is ignored, an optional `0x` prefix too.
pub fn parse_hex(text: &[u8]) -> Result<Vec<u8>, InspectError> {
    let text = text.strip_prefix(b"0x").unwrap_or(text);
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut high: Option<u8> = None;
    for (offset, c) in text.iter().enumerate() {
        if c.is_ascii_whitespace() {
            continue;
        }
        let nibble = (*c as char)
            .to_digit(16)
            .ok_or(InspectError::Hex { what: "not a hex digit", offset })?
            as u8;
        match high.take() {
            Some(h) => out.push(h << 4 | nibble),
            None => high = Some(nibble),
        }
    }
    if high.is_some() {
        return Err(InspectError::Hex { what: "odd number of hex digits", offset: text.len() });
    }
    Ok(out)
}

/// Human-readable text: one block per message, values in SI units next to the raw ones.
pub fn render_text(report: &FileReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} bytes read as {}: {} message(s)",
        report.bytes,
        report.input,
        report.messages.len()
    );
    for (i, entry) in report.messages.iter().enumerate() {
        let _ = write!(out, "#{i} @{} ", entry.offset);
        render_envelope(&mut out, &entry.envelope);
        render_message(&mut out, &entry.message);
    }
    if let Some(error) = &report.error {
        let _ = writeln!(out, "stopped: {error}");
    }
    out
}

fn render_envelope(out: &mut String, e: &Envelope) {
    if let Some(s) = &e.security {
        let _ =
            write!(out, "[1609.2 v{} {}, signature not verified] ", s.protocol_version, s.content);
    }
    if let Some(g) = &e.geonetworking {
        let _ = write!(out, "[GN v{} {} TC{}] ", g.version, g.header_type, g.traffic_class);
    }
    if let Some(b) = &e.btp {
        let _ = write!(out, "[BTP-{} port {}] ", b.kind, b.destination_port);
    }
}

fn degrees(value: i32) -> String {
    format!("{:.7}", f64::from(value) * 1e-7)
}

fn render_position(out: &mut String, p: &crate::message::ReferencePosition) {
    let _ = writeln!(
        out,
        "    position {} {} alt {:.2} m ({}), ellipse {:.2} x {:.2} m at {:.1} deg",
        degrees(p.latitude),
        degrees(p.longitude),
        f64::from(p.altitude) * 0.01,
        p.altitude_confidence,
        f64::from(p.semi_major_confidence) * 0.01,
        f64::from(p.semi_minor_confidence) * 0.01,
        f64::from(p.semi_major_orientation) * 0.1
    );
}

fn render_message(out: &mut String, message: &Message) {
    match message {
        Message::Cam(c) => {
            let _ = writeln!(
                out,
                "CAM station {} type {} v{} gdt {} ms  [{}]",
                c.header.station_id,
                c.station_type,
                c.header.protocol_version,
                c.generation_delta_time,
                c.standard
            );
            render_position(out, &c.reference_position);
            if let (Some(h), Some(s)) = (c.heading, c.speed) {
                let _ = writeln!(
                    out,
                    "    heading {:.1} deg, speed {:.2} m/s, length {:.1} m, width {:.1} m",
                    f64::from(h.value) * 0.1,
                    f64::from(s.value) * 0.01,
                    f64::from(c.vehicle_length.unwrap_or(0)) * 0.1,
                    f64::from(c.vehicle_width.unwrap_or(0)) * 0.1
                );
            }
        }
        Message::Cpm(c) => {
            let time = match (c.generation_delta_time, c.reference_time) {
                (Some(g), _) => format!("gdt {g} ms"),
                (None, Some(t)) => format!("referenceTime {t} ms"),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "CPM station {} v{} messageID {} {}, {} object(s) (numberOfPerceivedObjects {}), frame {:?}  [{}]",
                c.header.station_id,
                c.header.protocol_version,
                c.header.message_id,
                time,
                c.objects.len(),
                c.number_of_perceived_objects,
                c.object_frame,
                c.standard
            );
            render_position(out, &c.reference_position);
            for o in &c.objects {
                let speed = match (o.x_speed, o.y_speed) {
                    (Some(x), Some(y)) => format!(
                        " v ({:.2}, {:.2}) m/s",
                        f64::from(x.value) * 0.01,
                        f64::from(y.value) * 0.01
                    ),
                    _ => String::new(),
                };
                let _ = writeln!(
                    out,
                    "    object {:?}: x {:.2} m y {:.2} m (conf {} / {} cm){speed}, t {} ms",
                    o.object_id,
                    f64::from(o.x_distance.value) * 0.01,
                    f64::from(o.y_distance.value) * 0.01,
                    o.x_distance.confidence,
                    o.y_distance.confidence,
                    o.time_of_measurement
                );
            }
        }
        Message::Denm(d) => {
            let _ = writeln!(
                out,
                "DENM station {} action {}/{} detection {} ms reference {} ms validity {} s {}  [{}]",
                d.header.station_id,
                d.originating_station_id,
                d.sequence_number,
                d.detection_time,
                d.reference_time,
                d.validity_duration,
                d.event_type.as_deref().unwrap_or(""),
                d.standard
            );
            render_position(out, &d.event_position);
        }
        Message::Bsm(b) => {
            let _ = writeln!(
                out,
                "BSM id {} msgCnt {} secMark {} lat {} lon {} elev {:.1} m speed {:.2} m/s heading {:.4} deg size {}x{} cm partII {}",
                b.id,
                b.msg_cnt,
                b.sec_mark,
                degrees(b.lat),
                degrees(b.long),
                f64::from(b.elev) * 0.1,
                f64::from(b.speed) * 0.02,
                f64::from(b.heading) * 0.0125,
                b.length,
                b.width,
                b.part_ii_count
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_with_whitespace_and_errors() {
        assert_eq!(parse_hex(b"0a 0B\nff\n").unwrap(), vec![0x0a, 0x0b, 0xff]);
        assert!(matches!(parse_hex(b"0g"), Err(InspectError::Hex { offset: 1, .. })));
        assert!(matches!(
            parse_hex(b"abc"),
            Err(InspectError::Hex { what: "odd number of hex digits", .. })
        ));
    }
}
