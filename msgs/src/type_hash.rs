//! ROS 2 type hashes (REP-2011, `RIHS01_<sha256>`): what Jazzy and later peers compare when
//! they match topics, and what rosbag2 writes as `type_description_hash`.
//!
//! The hash is the SHA-256 of the type description — the type's fields and, sorted by name,
//! every type it references — serialised as JSON the way `rosidl_generator_type_description`
//! does it: Python's `json.dumps` defaults (`", "` and `": "` separators), `default_value`
//! left out, constants not part of it. We compute it from the same `.msg` text as the schemas
//! ([`crate::definitions`]); a test checks every hash against the Kilted wheels' own.

use crate::definitions::{field_lines, msg_text};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// `type_id` values of `type_description_interfaces/msg/FieldType`.
mod field_type {
    pub const NESTED: u8 = 1;
    pub const INT8: u8 = 2;
    pub const UINT8: u8 = 3;
    pub const INT16: u8 = 4;
    pub const UINT16: u8 = 5;
    pub const INT32: u8 = 6;
    pub const UINT32: u8 = 7;
    pub const INT64: u8 = 8;
    pub const UINT64: u8 = 9;
    pub const FLOAT: u8 = 10;
    pub const DOUBLE: u8 = 11;
    pub const BOOLEAN: u8 = 15;
    pub const BYTE: u8 = 16;
    pub const STRING: u8 = 17;
    pub const WSTRING: u8 = 18;
    pub const BOUNDED_STRING: u8 = 21;
    pub const BOUNDED_WSTRING: u8 = 22;
    /// Added to the element type: fixed array, bounded sequence, unbounded sequence.
    pub const ARRAY_OFFSET: u8 = 48;
    pub const BOUNDED_SEQUENCE_OFFSET: u8 = 96;
    pub const UNBOUNDED_SEQUENCE_OFFSET: u8 = 144;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypeHashError {
    #[error("no definition for type {0}")]
    UnknownType(String),
    #[error("{type_name}: cannot parse field line {line:?}")]
    BadField { type_name: String, line: String },
}

struct Field {
    name: String,
    type_id: u8,
    capacity: u64,
    string_capacity: u64,
    nested_type_name: String,
}

/// The RIHS01 hash of a type this crate defines, e.g. `"sensor_msgs/msg/Image"`.
pub fn rihs01(type_name: &str) -> Result<String, TypeHashError> {
    let json = type_description_json(type_name)?;
    let digest = Sha256::digest(json.as_bytes());
    let mut hash = String::from("RIHS01_");
    for byte in digest {
        let _ = write!(hash, "{byte:02x}");
    }
    Ok(hash)
}

/// The hashed JSON text: `{"type_description": ..., "referenced_type_descriptions": [...]}`.
fn type_description_json(type_name: &str) -> Result<String, TypeHashError> {
    let main = fields_of(type_name)?;
    let mut referenced = BTreeMap::new();
    collect_referenced(&main, &mut referenced)?;
    let referenced: Vec<String> =
        referenced.iter().map(|(name, fields)| description_json(name, fields)).collect();
    Ok(format!(
        "{{\"type_description\": {}, \"referenced_type_descriptions\": [{}]}}",
        description_json(type_name, &main),
        referenced.join(", ")
    ))
}

fn collect_referenced(
    fields: &[Field],
    seen: &mut BTreeMap<String, Vec<Field>>,
) -> Result<(), TypeHashError> {
    for field in fields.iter().filter(|f| !f.nested_type_name.is_empty()) {
        if !seen.contains_key(&field.nested_type_name) {
            let nested = fields_of(&field.nested_type_name)?;
            seen.insert(field.nested_type_name.clone(), Vec::new());
            collect_referenced(&nested, seen)?;
            seen.insert(field.nested_type_name.clone(), nested);
        }
    }
    Ok(())
}

fn description_json(type_name: &str, fields: &[Field]) -> String {
    let fields: Vec<String> = fields
        .iter()
        .map(|f| {
            format!(
                "{{\"name\": \"{}\", \"type\": {{\"type_id\": {}, \"capacity\": {}, \
                 \"string_capacity\": {}, \"nested_type_name\": \"{}\"}}}}",
                f.name, f.type_id, f.capacity, f.string_capacity, f.nested_type_name
            )
        })
        .collect();
    format!("{{\"type_name\": \"{type_name}\", \"fields\": [{}]}}", fields.join(", "))
}

/// The fields of a type, in `.msg` order; constants and comments skipped. An empty message gets
/// the placeholder member rosidl adds, because IDL structures cannot be empty.
fn fields_of(type_name: &str) -> Result<Vec<Field>, TypeHashError> {
    let text = msg_text(type_name).ok_or_else(|| TypeHashError::UnknownType(type_name.into()))?;
    let package = type_name.split('/').next().unwrap_or_default();
    let mut fields = Vec::new();
    for (ty, name, raw) in field_lines(text) {
        let bad = || TypeHashError::BadField { type_name: type_name.into(), line: raw.into() };
        fields.push(parse_field(ty, name, package).ok_or_else(bad)?);
    }
    if fields.is_empty() {
        fields.push(Field {
            name: "structure_needs_at_least_one_member".into(),
            type_id: field_type::UINT8,
            capacity: 0,
            string_capacity: 0,
            nested_type_name: String::new(),
        });
    }
    Ok(fields)
}

/// One field from its `.msg` type token (`float64[9]`, `string<=10`, `Point[]`, `uint8[<=4]`).
fn parse_field(ty: &str, name: &str, package: &str) -> Option<Field> {
    let (element, offset, capacity) = match ty.split_once('[') {
        None => (ty, 0, 0),
        Some((element, rest)) => {
            let bound = rest.strip_suffix(']')?;
            if bound.is_empty() {
                (element, field_type::UNBOUNDED_SEQUENCE_OFFSET, 0)
            } else if let Some(max) = bound.strip_prefix("<=") {
                (element, field_type::BOUNDED_SEQUENCE_OFFSET, max.parse().ok()?)
            } else {
                (element, field_type::ARRAY_OFFSET, bound.parse().ok()?)
            }
        }
    };
    let (base, string_capacity) = match element.split_once("<=") {
        Some((base, max)) => (base, max.parse().ok()?),
        None => (element, 0),
    };
    let mut nested_type_name = String::new();
    let base_id = match (base, string_capacity) {
        ("string", 0) => field_type::STRING,
        ("string", _) => field_type::BOUNDED_STRING,
        ("wstring", 0) => field_type::WSTRING,
        ("wstring", _) => field_type::BOUNDED_WSTRING,
        (_, 0) => match base {
            "bool" => field_type::BOOLEAN,
            "byte" => field_type::BYTE,
            // .msg `char` is an unsigned 8-bit integer in ROS 2 (it maps to IDL uint8).
            "char" | "uint8" => field_type::UINT8,
            "int8" => field_type::INT8,
            "int16" => field_type::INT16,
            "uint16" => field_type::UINT16,
            "int32" => field_type::INT32,
            "uint32" => field_type::UINT32,
            "int64" => field_type::INT64,
            "uint64" => field_type::UINT64,
            "float32" => field_type::FLOAT,
            "float64" => field_type::DOUBLE,
            nested => {
                nested_type_name = match nested.split_once('/') {
                    Some((pkg, short)) => format!("{pkg}/msg/{short}"),
                    None => format!("{package}/msg/{nested}"),
                };
                field_type::NESTED
            }
        },
        _ => return None, // a bound on a non-string type
    };
    Some(Field {
        name: name.to_string(),
        type_id: base_id + offset,
        capacity,
        string_capacity,
        nested_type_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_hash_equals_the_published_one() {
        // From std_msgs/msg/Header.json of the ROS 2 Kilted release (also in Jazzy).
        assert_eq!(
            rihs01("std_msgs/msg/Header").unwrap(),
            "RIHS01_f49fb3ae2cf070f793645ff749683ac6b06203e41c891e17701b1cb597ce6a01"
        );
    }

    #[test]
    fn field_types_map_to_their_ids() {
        let f = parse_field("float64[9]", "k", "sensor_msgs").unwrap();
        assert_eq!((f.type_id, f.capacity), (59, 9));
        let f = parse_field("string<=10", "s", "p").unwrap();
        assert_eq!((f.type_id, f.string_capacity), (21, 10));
        let f = parse_field("Point[]", "p", "geometry_msgs").unwrap();
        assert_eq!((f.type_id, f.nested_type_name.as_str()), (145, "geometry_msgs/msg/Point"));
        let f = parse_field("uint8[<=4]", "b", "p").unwrap();
        assert_eq!((f.type_id, f.capacity), (99, 4));
        assert!(parse_field("int32<=4", "x", "p").is_none());
        assert!(parse_field("int32[x]", "x", "p").is_none());
    }

    #[test]
    fn unknown_type_is_an_error() {
        assert_eq!(
            rihs01("nope_msgs/msg/Nope"),
            Err(TypeHashError::UnknownType("nope_msgs/msg/Nope".into()))
        );
    }
}
