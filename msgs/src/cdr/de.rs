//! CDR deserializer: little and big endian, strict about lengths, terminators and bools.

use super::{CdrError, CdrErrorKind, RawError, CDR_BE, CDR_LE, HEADER_LEN};
use serde::de::{self, DeserializeOwned, Visitor};

/// Decodes one serialized message (encapsulation header included). The whole buffer must be
/// consumed, except up to 3 bytes of trailing alignment padding some writers add.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CdrError> {
    if bytes.len() < HEADER_LEN {
        return Err(CdrError {
            offset: 0,
            path: String::new(),
            kind: CdrErrorKind::ShortBuffer { needed: HEADER_LEN, available: bytes.len() },
        });
    }
    let id = [bytes[0], bytes[1]];
    let big_endian = match id {
        CDR_LE => false,
        CDR_BE => true,
        other => {
            return Err(CdrError {
                offset: 0,
                path: String::new(),
                kind: CdrErrorKind::BadEncapsulation(other),
            })
        }
    };
    let mut de = Deserializer { input: bytes, pos: HEADER_LEN, big_endian };
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let raw = err.into_inner();
        // serde's own errors (e.g. a missing field) carry no offset: use where we stopped.
        let offset = if raw.offset == usize::MAX { de.pos } else { raw.offset };
        CdrError { offset, path, kind: raw.kind }
    })?;
    let left = bytes.len() - de.pos;
    if left > 3 || bytes[de.pos..].iter().any(|&b| b != 0) {
        return Err(CdrError {
            offset: de.pos,
            path: String::new(),
            kind: CdrErrorKind::TrailingBytes(left),
        });
    }
    Ok(value)
}

struct Deserializer<'de> {
    input: &'de [u8],
    /// Absolute position in `input`; alignment is relative to the end of the header.
    pos: usize,
    big_endian: bool,
}

impl<'de> Deserializer<'de> {
    fn error(&self, kind: CdrErrorKind) -> RawError {
        RawError { offset: self.pos, kind }
    }

    fn take(&mut self, n: usize) -> Result<&'de [u8], RawError> {
        let available = self.input.len() - self.pos;
        if n > available {
            return Err(self.error(CdrErrorKind::ShortBuffer { needed: n, available }));
        }
        let slice = &self.input[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], RawError> {
        self.align(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// Skips alignment padding only if the aligned value fits, so a short buffer is reported
    /// at the start of the value, not inside its padding.
    fn align(&mut self, n: usize) -> Result<(), RawError> {
        let rel = self.pos - HEADER_LEN;
        let pad = (n - rel % n) % n;
        let available = self.input.len() - self.pos;
        if pad + n > available && pad <= available {
            self.pos += pad;
            return Err(
                self.error(CdrErrorKind::ShortBuffer { needed: n, available: available - pad })
            );
        }
        self.take(pad).map(|_| ())
    }

    /// Reads a sequence/string length and checks it against what is left, so a corrupt length
    /// fails here instead of driving a huge allocation. Every ROS element is at least one byte.
    fn length(&mut self) -> Result<usize, RawError> {
        self.align(4)?;
        let start = self.pos;
        let raw = self.array::<4>()?;
        let len = if self.big_endian { u32::from_be_bytes(raw) } else { u32::from_le_bytes(raw) };
        let available = self.input.len() - self.pos;
        if len as usize > available {
            return Err(RawError {
                offset: start,
                kind: CdrErrorKind::LengthPastEnd { declared: len.into(), available },
            });
        }
        Ok(len as usize)
    }

    fn string(&mut self) -> Result<&'de str, RawError> {
        self.align(4)?;
        let start = self.pos;
        let len = self.length()?;
        let bytes = self.take(len)?;
        match bytes.split_last() {
            Some((0, text)) => std::str::from_utf8(text)
                .map_err(|_| RawError { offset: start + 4, kind: CdrErrorKind::InvalidUtf8 }),
            _ => Err(RawError { offset: start, kind: CdrErrorKind::UnterminatedString }),
        }
    }
}

macro_rules! primitive {
    ($method:ident, $visit:ident, $ty:ty) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RawError> {
            let raw = self.array::<{ std::mem::size_of::<$ty>() }>()?;
            let v =
                if self.big_endian { <$ty>::from_be_bytes(raw) } else { <$ty>::from_le_bytes(raw) };
            visitor.$visit(v)
        }
    };
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = RawError;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, RawError> {
        Err(self.error(CdrErrorKind::Unsupported("a self-describing value (CDR carries no types)")))
    }
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RawError> {
        match self.take(1)?[0] {
            0 => visitor.visit_bool(false),
            1 => visitor.visit_bool(true),
            v => {
                self.pos -= 1;
                Err(self.error(CdrErrorKind::InvalidBool(v)))
            }
        }
    }
    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RawError> {
        visitor.visit_i8(self.take(1)?[0] as i8)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RawError> {
        visitor.visit_u8(self.take(1)?[0])
    }
    primitive!(deserialize_i16, visit_i16, i16);
    primitive!(deserialize_u16, visit_u16, u16);
    primitive!(deserialize_i32, visit_i32, i32);
    primitive!(deserialize_u32, visit_u32, u32);
    primitive!(deserialize_i64, visit_i64, i64);
    primitive!(deserialize_u64, visit_u64, u64);
    primitive!(deserialize_f32, visit_f32, f32);
    primitive!(deserialize_f64, visit_f64, f64);

    fn deserialize_char<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, RawError> {
        Err(self.error(CdrErrorKind::Unsupported("a Rust char (ROS `char` is uint8)")))
    }
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RawError> {
        visitor.visit_borrowed_str(self.string()?)
    }
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RawError> {
        self.deserialize_str(visitor)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RawError> {
        let len = self.length()?;
        visitor.visit_borrowed_bytes(self.take(len)?)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RawError> {
        self.deserialize_bytes(visitor)
    }
    fn deserialize_option<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, RawError> {
        Err(self.error(CdrErrorKind::Unsupported("Option")))
    }
    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RawError> {
        visitor.visit_unit()
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, RawError> {
        visitor.visit_unit()
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, RawError> {
        visitor.visit_newtype_struct(self)
    }
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, RawError> {
        let len = self.length()?;
        visitor.visit_seq(Elements { de: self, left: len })
    }
    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, RawError> {
        visitor.visit_seq(Elements { de: self, left: len })
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, RawError> {
        visitor.visit_seq(Elements { de: self, left: len })
    }
    fn deserialize_map<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, RawError> {
        Err(self.error(CdrErrorKind::Unsupported("map")))
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, RawError> {
        // As a map keyed by field name, so error paths read `fields[2].name`, not `[1][2][0]`.
        visitor.visit_map(Fields { de: self, names: fields.iter() })
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, RawError> {
        Err(self.error(CdrErrorKind::Unsupported("enum")))
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, RawError> {
        Err(self.error(CdrErrorKind::Unsupported("identifier")))
    }
    fn deserialize_ignored_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, RawError> {
        Err(self.error(CdrErrorKind::Unsupported("skipping a value")))
    }
    fn is_human_readable(&self) -> bool {
        false
    }
}

/// Sequence, array and struct members: CDR writes them back to back.
struct Elements<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    left: usize,
}

impl<'de> de::SeqAccess<'de> for Elements<'_, 'de> {
    type Error = RawError;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, RawError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.de).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// Struct members, presented with their names (CDR has none on the wire, the struct does).
struct Fields<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    names: std::slice::Iter<'static, &'static str>,
}

impl<'de> de::MapAccess<'de> for Fields<'_, 'de> {
    type Error = RawError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, RawError> {
        match self.names.next() {
            Some(name) => seed
                .deserialize(de::value::BorrowedStrDeserializer::<RawError>::new(name))
                .map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, RawError> {
        seed.deserialize(&mut *self.de)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.names.len())
    }
}
