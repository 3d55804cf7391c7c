//! Typing of parameter values written as text (`<param value="...">`), as launch_ros does it:
//! the text is read as YAML (PyYAML `safe_load`, YAML 1.1) and must give a bool, integer,
//! float, string, or a non-empty list of one of those, all of the same type.

use crate::errors::{ErrorReason, Problem};
use crate::plan::ParamValue;
use serde_yaml_ng::Value;

/// PyYAML (YAML 1.1) reads these as booleans; serde_yaml_ng (YAML 1.2) would keep them text.
const YAML11_TRUE: [&str; 9] = ["true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"];
const YAML11_FALSE: [&str; 9] = ["false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"];

/// `name` is only for the error message.
pub(crate) fn typed_value(name: &str, text: &str) -> Result<ParamValue, Problem> {
    // launch_ros turns an empty value into the string '' (yaml would give null).
    if text.is_empty() {
        return Ok(ParamValue::String(String::new()));
    }
    let bad = |what: &str| {
        Problem::new(
            ErrorReason::BadValue,
            format!(
                "parameter '{name}' = '{text}': {what}; allowed are bool, integer, float, string \
                 and non-empty lists of one of them"
            ),
        )
    };
    let value: Value =
        serde_yaml_ng::from_str(text).map_err(|e| bad(&format!("not YAML ({e})")))?;
    match value {
        Value::Sequence(items) => {
            let scalars: Vec<Scalar> = items
                .into_iter()
                .map(|v| scalar(v, None))
                .collect::<Option<_>>()
                .ok_or_else(|| bad("a list item is not a scalar"))?;
            array(scalars).ok_or_else(|| bad("an empty list, or items of different types"))
        }
        other => Ok(
            match scalar(other, Some(text.trim())).ok_or_else(|| bad("not a scalar or list"))? {
                Scalar::Bool(b) => ParamValue::Bool(b),
                Scalar::Int(i) => ParamValue::Integer(i),
                Scalar::Float(f) => ParamValue::Double(f),
                Scalar::Str(s) => ParamValue::String(s),
            },
        ),
    }
}

enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

/// `raw`: the text as written, to apply PyYAML's YAML 1.1 readings where serde_yaml_ng (YAML
/// 1.2) differs; None for list items, whose text we do not have (they follow YAML 1.2).
fn scalar(value: Value, raw: Option<&str>) -> Option<Scalar> {
    let lower = raw.map(str::to_ascii_lowercase).unwrap_or_default();
    Some(match value {
        Value::Bool(b) => Scalar::Bool(b),
        Value::Number(n) => match (n.as_i64(), raw) {
            (Some(i), _) => Scalar::Int(i),
            // YAML 1.1 needs a '.' in a float: PyYAML reads `1e3` as the string "1e3".
            (None, Some(raw))
                if !raw.contains('.') && !lower.contains("inf") && !lower.contains("nan") =>
            {
                Scalar::Str(raw.to_string())
            }
            (None, _) => Scalar::Float(n.as_f64()?),
        },
        Value::String(s) if raw == Some(s.as_str()) && YAML11_TRUE.contains(&s.as_str()) => {
            Scalar::Bool(true)
        }
        Value::String(s) if raw == Some(s.as_str()) && YAML11_FALSE.contains(&s.as_str()) => {
            Scalar::Bool(false)
        }
        Value::String(s) => Scalar::Str(s),
        _ => return None,
    })
}

fn array(items: Vec<Scalar>) -> Option<ParamValue> {
    let first = items.first()?;
    Some(match first {
        Scalar::Bool(_) => ParamValue::BoolArray(
            items
                .into_iter()
                .map(|s| if let Scalar::Bool(b) = s { Some(b) } else { None })
                .collect::<Option<_>>()?,
        ),
        Scalar::Int(_) => ParamValue::IntegerArray(
            items
                .into_iter()
                .map(|s| if let Scalar::Int(i) = s { Some(i) } else { None })
                .collect::<Option<_>>()?,
        ),
        Scalar::Float(_) => ParamValue::DoubleArray(
            items
                .into_iter()
                .map(|s| if let Scalar::Float(f) = s { Some(f) } else { None })
                .collect::<Option<_>>()?,
        ),
        Scalar::Str(_) => ParamValue::StringArray(
            items
                .into_iter()
                .map(|s| if let Scalar::Str(t) = s { Some(t) } else { None })
                .collect::<Option<_>>()?,
        ),
    })
}
