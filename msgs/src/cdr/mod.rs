//! ROS 2 CDR (OMG XCDR1, "plain CDR") encoding of serde types, as rmw_fastrtps writes it.
//!
//! A serialized message is a 4-byte encapsulation header (`00 01 00 00` for little endian,
//! `00 00 00 00` for big endian; options ignored on read) followed by the payload. Primitive
//! alignment is counted from the end of that header. Mapping of ROS IDL to serde:
//! `string` = u32 length incl. NUL + bytes + NUL; `T[]`/`T[<=N]` = u32 count + elements
//! (serde seq); `T[N]` = elements only (serde tuple, i.e. Rust arrays); `uint8[]` through
//! `serde_bytes` is the same wire layout, copied in one go.
//!
//! Why not a CDR crate: `cdr` 0.2 allocates a sequence's declared length before checking it
//! against the input (a corrupt length asks for 4 GiB), and `cdr-encoding` 0.11 accepts strings
//! without a NUL terminator and reports no byte offsets.
//!
//! Padding: we write zeros; rmw_fastrtps leaves whatever its buffer held, and readers ignore
//! it. So "byte-identical to ROS 2" means identical in every byte that carries data. Decoding untrusted recordings needs
//! both, so the codec is ours; it is checked byte for byte against rosbag2's own bags.

mod de;
mod ser;

pub use de::decode;
pub use ser::{encode, encode_into, encode_with_padding, encoded_size_hint};

use std::fmt;

/// Encapsulation identifiers (first two bytes of a serialized message).
pub(crate) const CDR_BE: [u8; 2] = [0x00, 0x00];
pub(crate) const CDR_LE: [u8; 2] = [0x00, 0x01];
pub(crate) const HEADER_LEN: usize = 4;

/// A CDR encoding or decoding failure. `offset` counts from the start of the serialized
/// message (encapsulation header included), `path` is the field path (`fields[2].name`).
#[derive(Debug, Clone, PartialEq)]
pub struct CdrError {
    pub offset: usize,
    pub path: String,
    pub kind: CdrErrorKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CdrErrorKind {
    ShortBuffer { needed: usize, available: usize },
    BadEncapsulation([u8; 2]),
    UnterminatedString,
    InvalidUtf8,
    LengthPastEnd { declared: u64, available: usize },
    InvalidBool(u8),
    TrailingBytes(usize),
    Unsupported(&'static str),
    Custom(String),
}

impl fmt::Display for CdrErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ShortBuffer { needed, available } => {
                write!(f, "short buffer: needs {needed} bytes, {available} left")
            }
            Self::BadEncapsulation(id) => write!(
                f,
                "unsupported encapsulation {:02x} {:02x} (expected plain CDR 00 00 or 00 01)",
                id[0], id[1]
            ),
            Self::UnterminatedString => write!(f, "string without NUL terminator"),
            Self::InvalidUtf8 => write!(f, "string is not valid UTF-8"),
            Self::LengthPastEnd { declared, available } => write!(
                f,
                "length {declared} runs past the end of the message ({available} bytes left)"
            ),
            Self::InvalidBool(v) => write!(f, "bool byte is {v}, expected 0 or 1"),
            Self::TrailingBytes(n) => write!(f, "{n} bytes left over after the message"),
            Self::Unsupported(what) => write!(f, "{what} cannot be represented in ROS 2 CDR"),
            Self::Custom(msg) => f.write_str(msg),
        }
    }
}

impl fmt::Display for CdrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CDR error at byte offset {}", self.offset)?;
        if !self.path.is_empty() && self.path != "." {
            write!(f, " (field `{}`)", self.path)?;
        }
        write!(f, ": {}", self.kind)
    }
}

impl std::error::Error for CdrError {}

/// Error type used inside the serde (de)serializers; the public [`CdrError`] adds the path.
#[derive(Debug)]
pub(crate) struct RawError {
    pub offset: usize,
    pub kind: CdrErrorKind,
}

impl fmt::Display for RawError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at offset {}: {}", self.offset, self.kind)
    }
}

impl std::error::Error for RawError {}

impl serde::ser::Error for RawError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        RawError { offset: 0, kind: CdrErrorKind::Custom(msg.to_string()) }
    }
}

impl serde::de::Error for RawError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        RawError { offset: usize::MAX, kind: CdrErrorKind::Custom(msg.to_string()) }
    }
}

#[cfg(test)]
mod tests;
