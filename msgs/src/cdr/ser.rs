//! CDR serializer: always writes little endian (what every ROS 2 RMW on x86/ARM writes).

use super::{CdrError, CdrErrorKind, RawError, CDR_LE, HEADER_LEN};
use serde::ser::{self, Serialize};

/// Serializes `value` with the little-endian encapsulation header.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CdrError> {
    let mut out = Vec::with_capacity(encoded_size_hint(value));
    encode_into(value, &mut out)?;
    Ok(out)
}

/// Appends the serialized message (header included) to `out`, reusing its allocation.
pub fn encode_into<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), CdrError> {
    encode_with_padding(value, out, 0)
}

/// Like [`encode_into`] with alignment padding filled with `pad` instead of zeros. Writers
/// differ there (Fast-CDR leaves whatever was in its buffer), so comparing two encodings
/// made with different `pad` values tells which bytes are padding. For tests and tools.
pub fn encode_with_padding<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
    pad: u8,
) -> Result<(), CdrError> {
    let start = out.len();
    out.extend_from_slice(&CDR_LE);
    out.extend_from_slice(&[0, 0]);
    let mut ser = Serializer { out, origin: start + HEADER_LEN, pad };
    value.serialize(&mut ser).map_err(|e| CdrError {
        offset: if e.offset == 0 { ser.out.len() - start } else { e.offset },
        path: String::new(),
        kind: e.kind,
    })
}

/// A cheap first guess of the encoded size, so large messages are written without regrowth.
pub fn encoded_size_hint<T: Serialize + ?Sized>(value: &T) -> usize {
    let mut counter = SizeCounter(HEADER_LEN);
    match value.serialize(&mut counter) {
        Ok(()) => counter.0 + 8,
        Err(_) => 64,
    }
}

struct Serializer<'a> {
    out: &'a mut Vec<u8>,
    /// Index in `out` where the payload starts: alignment is relative to it.
    origin: usize,
    /// Value of alignment padding bytes.
    pad: u8,
}

impl Serializer<'_> {
    fn align(&mut self, n: usize) {
        let pos = self.out.len() - self.origin;
        let pad = (n - pos % n) % n;
        self.out.resize(self.out.len() + pad, self.pad);
    }

    fn put<const N: usize>(&mut self, bytes: [u8; N]) {
        self.align(N);
        self.out.extend_from_slice(&bytes);
    }

    fn put_len(&mut self, len: usize) -> Result<(), RawError> {
        let len = u32::try_from(len).map_err(|_| RawError {
            offset: self.out.len(),
            kind: CdrErrorKind::Unsupported("a sequence longer than 2^32-1"),
        })?;
        self.put(len.to_le_bytes());
        Ok(())
    }
}

fn unsupported<T>(what: &'static str) -> Result<T, RawError> {
    Err(RawError { offset: 0, kind: CdrErrorKind::Unsupported(what) })
}

impl ser::Serializer for &mut Serializer<'_> {
    type Ok = ();
    type Error = RawError;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = ser::Impossible<(), RawError>;
    type SerializeMap = ser::Impossible<(), RawError>;
    type SerializeStruct = Self;
    type SerializeStructVariant = ser::Impossible<(), RawError>;

    fn serialize_bool(self, v: bool) -> Result<(), RawError> {
        self.out.push(v as u8);
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), RawError> {
        self.out.push(v as u8);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), RawError> {
        self.out.push(v);
        Ok(())
    }
    fn serialize_i16(self, v: i16) -> Result<(), RawError> {
        self.put(v.to_le_bytes());
        Ok(())
    }
    fn serialize_u16(self, v: u16) -> Result<(), RawError> {
        self.put(v.to_le_bytes());
        Ok(())
    }
    fn serialize_i32(self, v: i32) -> Result<(), RawError> {
        self.put(v.to_le_bytes());
        Ok(())
    }
    fn serialize_u32(self, v: u32) -> Result<(), RawError> {
        self.put(v.to_le_bytes());
        Ok(())
    }
    fn serialize_i64(self, v: i64) -> Result<(), RawError> {
        self.put(v.to_le_bytes());
        Ok(())
    }
    fn serialize_u64(self, v: u64) -> Result<(), RawError> {
        self.put(v.to_le_bytes());
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), RawError> {
        self.put(v.to_le_bytes());
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), RawError> {
        self.put(v.to_le_bytes());
        Ok(())
    }
    fn serialize_char(self, _v: char) -> Result<(), RawError> {
        unsupported("a Rust char (ROS `char` is uint8)")
    }
    fn serialize_str(self, v: &str) -> Result<(), RawError> {
        self.put_len(v.len() + 1)?;
        self.out.extend_from_slice(v.as_bytes());
        self.out.push(0);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), RawError> {
        self.put_len(v.len())?;
        self.out.extend_from_slice(v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), RawError> {
        unsupported("Option")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _v: &T) -> Result<(), RawError> {
        unsupported("Option")
    }
    fn serialize_unit(self) -> Result<(), RawError> {
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), RawError> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), RawError> {
        unsupported("enum")
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        v: &T,
    ) -> Result<(), RawError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), RawError> {
        unsupported("enum")
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self, RawError> {
        match len {
            Some(len) => {
                self.put_len(len)?;
                Ok(self)
            }
            None => unsupported("a sequence of unknown length"),
        }
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self, RawError> {
        Ok(self)
    }
    fn serialize_tuple_struct(self, _: &'static str, _len: usize) -> Result<Self, RawError> {
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, RawError> {
        unsupported("enum")
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, RawError> {
        unsupported("map")
    }
    fn serialize_struct(self, _: &'static str, _len: usize) -> Result<Self, RawError> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, RawError> {
        unsupported("enum")
    }
    fn is_human_readable(&self) -> bool {
        false
    }
}

macro_rules! compound {
    ($trait:ident, $method:ident $(, $key:ident)?) => {
        impl ser::$trait for &mut Serializer<'_> {
            type Ok = ();
            type Error = RawError;
            fn $method<T: Serialize + ?Sized>(&mut self, $($key: &'static str,)? value: &T) -> Result<(), RawError> {
                value.serialize(&mut **self)
            }
            fn end(self) -> Result<(), RawError> {
                Ok(())
            }
        }
    };
}
compound!(SerializeSeq, serialize_element);
compound!(SerializeTuple, serialize_element);
compound!(SerializeTupleStruct, serialize_field);
compound!(SerializeStruct, serialize_field, _key);

/// Counts bytes the way [`Serializer`] writes them, without alignment (a lower bound).
struct SizeCounter(usize);

impl SizeCounter {
    fn add(&mut self, n: usize) -> Result<(), RawError> {
        self.0 += n;
        Ok(())
    }
}

impl ser::Serializer for &mut SizeCounter {
    type Ok = ();
    type Error = RawError;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = ser::Impossible<(), RawError>;
    type SerializeMap = ser::Impossible<(), RawError>;
    type SerializeStruct = Self;
    type SerializeStructVariant = ser::Impossible<(), RawError>;

    fn serialize_bool(self, _: bool) -> Result<(), RawError> {
        self.add(1)
    }
    fn serialize_i8(self, _: i8) -> Result<(), RawError> {
        self.add(1)
    }
    fn serialize_u8(self, _: u8) -> Result<(), RawError> {
        self.add(1)
    }
    fn serialize_i16(self, _: i16) -> Result<(), RawError> {
        self.add(2)
    }
    fn serialize_u16(self, _: u16) -> Result<(), RawError> {
        self.add(2)
    }
    fn serialize_i32(self, _: i32) -> Result<(), RawError> {
        self.add(4)
    }
    fn serialize_u32(self, _: u32) -> Result<(), RawError> {
        self.add(4)
    }
    fn serialize_i64(self, _: i64) -> Result<(), RawError> {
        self.add(8)
    }
    fn serialize_u64(self, _: u64) -> Result<(), RawError> {
        self.add(8)
    }
    fn serialize_f32(self, _: f32) -> Result<(), RawError> {
        self.add(4)
    }
    fn serialize_f64(self, _: f64) -> Result<(), RawError> {
        self.add(8)
    }
    fn serialize_char(self, _: char) -> Result<(), RawError> {
        self.add(1)
    }
    fn serialize_str(self, v: &str) -> Result<(), RawError> {
        self.add(5 + v.len())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), RawError> {
        self.add(4 + v.len())
    }
    fn serialize_none(self) -> Result<(), RawError> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), RawError> {
        Ok(())
    }
    fn serialize_unit(self) -> Result<(), RawError> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), RawError> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), RawError> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), RawError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), RawError> {
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self, RawError> {
        self.add(4)?;
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, RawError> {
        Ok(self)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, RawError> {
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, RawError> {
        unsupported("enum")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, RawError> {
        unsupported("map")
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, RawError> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, RawError> {
        unsupported("enum")
    }
}

macro_rules! counter_compound {
    ($trait:ident, $method:ident $(, $key:ident)?) => {
        impl ser::$trait for &mut SizeCounter {
            type Ok = ();
            type Error = RawError;
            fn $method<T: Serialize + ?Sized>(&mut self, $($key: &'static str,)? value: &T) -> Result<(), RawError> {
                value.serialize(&mut **self)
            }
            fn end(self) -> Result<(), RawError> {
                Ok(())
            }
        }
    };
}
counter_compound!(SerializeSeq, serialize_element);
counter_compound!(SerializeTuple, serialize_element);
counter_compound!(SerializeTupleStruct, serialize_field);
counter_compound!(SerializeStruct, serialize_field, _key);
