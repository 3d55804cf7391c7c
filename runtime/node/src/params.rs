//! ROS 2 parameters as node cores read them, whatever the transport: the ROS 2 runtime fills
//! [`Params`] from rcl (`--params-file`, `-p NAME:=VALUE`), the embedded runner from the same
//! YAML files and launch-file `<param>`s. A node reads its typed parameters through
//! [`ParamReader`], which names the parameter and where its value came from in every error.
//!
//! The file format is ROS 2's:
//! ```yaml
//! /**:                    # every node
//!   ros__parameters:
//!     use_sim_time: false
//! fusion:                 # the node's name, or its fully qualified name /ns/fusion
//!   ros__parameters:
//!     model_path: target/models/fusion_int8.pt
//!     crop:               # nested mappings are dotted names: crop.min_x
//!       min_x: -40.0
//! ```
//! Sections apply in file order and later values win, as rcl does; only sections whose key
//! matches the node (`/**`, `**`, its name, its fully qualified name, or a `*`/`**` pattern)
//! are read.

use serde_yaml_ng::Value;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A parameter value, with ROS 2's parameter types.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum ParamValue {
    Bool(bool),
    Integer(i64),
    Double(f64),
    String(String),
    BoolArray(Vec<bool>),
    IntegerArray(Vec<i64>),
    DoubleArray(Vec<f64>),
    StringArray(Vec<String>),
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bool(b) => write!(f, "boolean {b}"),
            Self::Integer(i) => write!(f, "integer {i}"),
            Self::Double(d) => write!(f, "double {d}"),
            Self::String(s) => write!(f, "string '{s}'"),
            Self::BoolArray(v) => write!(f, "boolean array {v:?}"),
            Self::IntegerArray(v) => write!(f, "integer array {v:?}"),
            Self::DoubleArray(v) => write!(f, "double array {v:?}"),
            Self::StringArray(v) => write!(f, "string array {v:?}"),
        }
    }
}

/// One parameter and where its value came from (a file and section, `-p`, a launch file).
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub value: ParamValue,
    pub origin: String,
    /// Set by a wildcard section (`/**`): such files hold other nodes' parameters too, so a
    /// name this node does not know is not worth a warning.
    pub from_wildcard: bool,
}

/// A parameter set that cannot be used; each error names the parameter and its origin.
#[derive(Debug, thiserror::Error)]
pub enum ParamsError {
    #[error("parameters file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("parameters file {origin}: not valid YAML: {message}")]
    Yaml { origin: String, message: String },
    #[error("parameters file {origin}: {message}")]
    Structure { origin: String, message: String },
    #[error("parameter '{name}' ({origin}) must be {expected}, got {found}")]
    WrongType { origin: String, name: String, expected: &'static str, found: String },
    #[error("parameter '{name}' ({origin}) = {value} is out of range ({allowed})")]
    OutOfRange { origin: String, name: String, value: String, allowed: String },
    #[error("parameter '{name}' is required: {why}")]
    Missing { name: String, why: String },
}

/// The parameters of one node.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params {
    entries: BTreeMap<String, Param>,
}

impl Params {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the sections of a ROS 2 parameters file that apply to the node `node_fqn`
    /// (fully qualified, e.g. `/fusion` or `/vehicle/fusion`).
    pub fn load_file(&mut self, path: &Path, node_fqn: &str) -> Result<(), ParamsError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ParamsError::Io { path: path.to_path_buf(), source })?;
        self.load_str(&text, node_fqn, &path.display().to_string())
    }

    /// As [`Self::load_file`]; `origin` names the text in errors.
    pub fn load_str(
        &mut self,
        text: &str,
        node_fqn: &str,
        origin: &str,
    ) -> Result<(), ParamsError> {
        let structure = |message: String| ParamsError::Structure { origin: origin.into(), message };
        let doc: Value = serde_yaml_ng::from_str(text)
            .map_err(|e| ParamsError::Yaml { origin: origin.into(), message: e.to_string() })?;
        let top = match &doc {
            Value::Mapping(m) => m,
            Value::Null => return Ok(()),
            _ => return Err(structure("the top level is not a mapping of node names".into())),
        };
        let mut matched = false;
        for (key, section) in top {
            let Some(key) = key.as_str() else {
                return Err(structure(format!("node name {key:?} is not a string")));
            };
            if !node_matches(key, node_fqn) {
                continue;
            }
            matched = true;
            let entries = match section.get("ros__parameters") {
                Some(Value::Mapping(m)) => m,
                Some(Value::Null) => continue,
                Some(_) => {
                    return Err(structure(format!("'{key}.ros__parameters' is not a mapping")))
                }
                None => return Err(structure(format!("'{key}' has no ros__parameters"))),
            };
            let from_wildcard = key.contains('*');
            let section_origin = format!("{origin}, section '{key}'");
            for (name, value) in entries {
                let Some(name) = name.as_str() else {
                    return Err(structure(format!("parameter name {name:?} in '{key}'")));
                };
                self.insert_yaml(name, value, &section_origin, from_wildcard)?;
            }
        }
        if !matched {
            tracing::warn!("{origin}: no parameters for node '{node_fqn}' (nor '/**')");
        }
        Ok(())
    }

    /// `-p NAME:=VALUE` and launch-file `<param name= value=>`: the value is read as YAML, as
    /// rcl reads it (`2` an integer, `2.0` a double, `[1, 2]` an integer array, `x` a string).
    pub fn set_from_text(
        &mut self,
        name: &str,
        text: &str,
        origin: &str,
    ) -> Result<(), ParamsError> {
        let value: Value = serde_yaml_ng::from_str(text).unwrap_or(Value::String(text.into()));
        self.insert_yaml(name, &value, origin, false)
    }

    pub fn set(&mut self, name: &str, value: ParamValue, origin: &str) {
        let param = Param { value, origin: origin.to_string(), from_wildcard: false };
        self.entries.insert(name.to_string(), param);
    }

    pub fn get(&self, name: &str) -> Option<&Param> {
        self.entries.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Param)> {
        self.entries.iter().map(|(name, param)| (name.as_str(), param))
    }

    /// Typed reads for the node `node` (its name in log lines).
    pub fn reader<'a>(&'a self, node: &'a str) -> ParamReader<'a> {
        ParamReader { params: self, node, read: RefCell::new(BTreeSet::new()) }
    }

    fn insert_yaml(
        &mut self,
        name: &str,
        value: &Value,
        origin: &str,
        from_wildcard: bool,
    ) -> Result<(), ParamsError> {
        if let Value::Mapping(nested) = value {
            for (key, inner) in nested {
                let Some(key) = key.as_str() else {
                    return Err(ParamsError::Structure {
                        origin: origin.into(),
                        message: format!("parameter name {key:?} under '{name}' is not a string"),
                    });
                };
                self.insert_yaml(&format!("{name}.{key}"), inner, origin, from_wildcard)?;
            }
            return Ok(());
        }
        let Some(value) = from_yaml(value) else {
            return Err(ParamsError::WrongType {
                origin: origin.into(),
                name: name.into(),
                expected: "a ROS 2 parameter value (scalar or list of one type)",
                found: format!("{value:?}"),
            });
        };
        let param = Param { value, origin: origin.to_string(), from_wildcard };
        self.entries.insert(name.to_string(), param);
        Ok(())
    }
}

/// rcl's node-name matching of parameter file sections: exact fully qualified name, the bare
/// name, `/**` and `**`, and patterns where `*` matches one name token and `**` any number.
fn node_matches(key: &str, node_fqn: &str) -> bool {
    let node_fqn =
        if node_fqn.starts_with('/') { node_fqn.to_string() } else { format!("/{node_fqn}") };
    let tokens: Vec<&str> = node_fqn.split('/').skip(1).collect();
    // A bare name (no leading slash, no wildcard) names the node in any namespace, as rclcpp
    // and r2r accept the node's plain name.
    if !key.starts_with('/') && !key.contains('*') {
        return tokens.last() == Some(&key);
    }
    let key = if key.starts_with('/') { key.to_string() } else { format!("/{key}") };
    let pattern: Vec<&str> = key.split('/').skip(1).collect();
    glob_tokens(&pattern, &tokens)
}

fn glob_tokens(pattern: &[&str], tokens: &[&str]) -> bool {
    match pattern.split_first() {
        None => tokens.is_empty(),
        Some((&"**", rest)) => (0..=tokens.len()).any(|skip| glob_tokens(rest, &tokens[skip..])),
        Some((first, rest)) => match tokens.split_first() {
            Some((token, tokens)) => (*first == "*" || first == token) && glob_tokens(rest, tokens),
            None => false,
        },
    }
}

fn from_yaml(value: &Value) -> Option<ParamValue> {
    Some(match value {
        Value::Bool(b) => ParamValue::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => ParamValue::Integer(i),
            None => ParamValue::Double(n.as_f64()?),
        },
        Value::String(s) => ParamValue::String(s.clone()),
        Value::Sequence(items) => sequence(items)?,
        Value::Null | Value::Mapping(_) | Value::Tagged(_) => return None,
    })
}

/// A list of one type; integers and doubles mixed make a double array.
fn sequence(items: &[Value]) -> Option<ParamValue> {
    if items.iter().all(Value::is_bool) {
        return Some(ParamValue::BoolArray(items.iter().filter_map(Value::as_bool).collect()));
    }
    if items.iter().all(Value::is_i64) {
        return Some(ParamValue::IntegerArray(items.iter().filter_map(Value::as_i64).collect()));
    }
    if items.iter().all(Value::is_number) {
        return Some(ParamValue::DoubleArray(items.iter().filter_map(Value::as_f64).collect()));
    }
    if items.iter().all(Value::is_string) {
        let strings = items.iter().filter_map(Value::as_str).map(str::to_string).collect();
        return Some(ParamValue::StringArray(strings));
    }
    None
}

/// A node's typed parameters, built from [`Params`]. Reading them from a parameters file is the
/// same for every node: the sections for `/node_name`, then [`NodeParams::from_params`].
pub trait NodeParams: Sized {
    /// The node's parameters from whatever set them (files, `-p`, a launch file, rcl).
    fn from_params(params: &Params, node_name: &str) -> Result<Self, ParamsError>;

    /// Reads the `ros__parameters` of `node_name` (and `/**`) from a YAML file.
    fn from_yaml_file(path: impl AsRef<Path>, node_name: &str) -> Result<Self, ParamsError> {
        let mut params = Params::new();
        params.load_file(path.as_ref(), &format!("/{node_name}"))?;
        Self::from_params(&params, node_name)
    }

    /// As [`NodeParams::from_yaml_file`]; `origin` names the text in errors.
    fn from_yaml_str(text: &str, node_name: &str, origin: &str) -> Result<Self, ParamsError> {
        let mut params = Params::new();
        params.load_str(text, &format!("/{node_name}"), origin)?;
        Self::from_params(&params, node_name)
    }
}

/// Where the parameters a node checks after reading came from, for the errors of those checks:
/// each name's origin in a reader (file, override, default), or one origin for parameters
/// built in code (`validate`).
pub enum Origins<'a> {
    Reader(&'a ParamReader<'a>),
    Fixed(&'a str),
}

impl Origins<'_> {
    /// An out-of-range error for `name`, naming where its value came from.
    pub fn out_of_range(&self, name: &str, value: impl ToString, allowed: &str) -> ParamsError {
        let origin = match self {
            Origins::Reader(reader) => reader.origin(name),
            Origins::Fixed(origin) => origin.to_string(),
        };
        ParamsError::OutOfRange {
            origin,
            name: name.into(),
            value: value.to_string(),
            allowed: allowed.into(),
        }
    }
}

/// Typed reads of one node's parameters. Each read marks the name as known; [`Self::finish`]
/// warns about the names the node never asked for (a typo in a params file shows up in the log).
pub struct ParamReader<'a> {
    params: &'a Params,
    node: &'a str,
    read: RefCell<BTreeSet<String>>,
}

impl ParamReader<'_> {
    fn lookup(&self, name: &str) -> Option<&Param> {
        self.read.borrow_mut().insert(name.to_string());
        self.params.get(name)
    }

    fn wrong(&self, name: &str, param: &Param, expected: &'static str) -> ParamsError {
        ParamsError::WrongType {
            origin: param.origin.clone(),
            name: name.into(),
            expected,
            found: param.value.to_string(),
        }
    }

    /// Where a parameter's value came from, for range errors found after reading.
    pub fn origin(&self, name: &str) -> String {
        self.params.get(name).map_or_else(|| "default".to_string(), |p| p.origin.clone())
    }

    /// An out-of-range error for `name`, naming its origin.
    pub fn out_of_range(&self, name: &str, value: impl ToString, allowed: &str) -> ParamsError {
        Origins::Reader(self).out_of_range(name, value, allowed)
    }

    pub fn bool(&self, name: &str, default: bool) -> Result<bool, ParamsError> {
        match self.lookup(name) {
            None => Ok(default),
            Some(Param { value: ParamValue::Bool(b), .. }) => Ok(*b),
            Some(p) => Err(self.wrong(name, p, "a boolean")),
        }
    }

    pub fn i64(&self, name: &str, default: i64) -> Result<i64, ParamsError> {
        match self.lookup(name) {
            None => Ok(default),
            Some(Param { value: ParamValue::Integer(i), .. }) => Ok(*i),
            Some(p) => Err(self.wrong(name, p, "an integer")),
        }
    }

    /// An integer within `range` (inclusive), e.g. a count or a thread number.
    pub fn int_in(
        &self,
        name: &str,
        default: i64,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<i64, ParamsError> {
        let value = self.i64(name, default)?;
        if range.contains(&value) {
            Ok(value)
        } else {
            Err(self.out_of_range(name, value, &format!("{}..={}", range.start(), range.end())))
        }
    }

    /// A double; an integer is accepted too (`1` for `1.0`, as YAML users write it). NaN and
    /// infinities are refused: no parameter of the stack means them.
    pub fn f64(&self, name: &str, default: f64) -> Result<f64, ParamsError> {
        let value = match self.lookup(name) {
            None => return Ok(default),
            Some(Param { value: ParamValue::Double(d), .. }) => *d,
            Some(Param { value: ParamValue::Integer(i), .. }) => *i as f64,
            Some(p) => return Err(self.wrong(name, p, "a number")),
        };
        if value.is_finite() {
            Ok(value)
        } else {
            Err(self.out_of_range(name, value, "a finite number"))
        }
    }

    /// A double within `range` (inclusive).
    pub fn f64_in(
        &self,
        name: &str,
        default: f64,
        range: std::ops::RangeInclusive<f64>,
    ) -> Result<f64, ParamsError> {
        let value = self.f64(name, default)?;
        if range.contains(&value) {
            Ok(value)
        } else {
            Err(self.out_of_range(name, value, &format!("{}..={}", range.start(), range.end())))
        }
    }

    pub fn string(&self, name: &str, default: &str) -> Result<String, ParamsError> {
        match self.lookup(name) {
            None => Ok(default.to_string()),
            Some(Param { value: ParamValue::String(s), .. }) => Ok(s.clone()),
            Some(p) => Err(self.wrong(name, p, "a string")),
        }
    }

    /// A path; unset or empty is `None`.
    pub fn path(&self, name: &str, default: Option<&Path>) -> Result<Option<PathBuf>, ParamsError> {
        match self.lookup(name) {
            None => Ok(default.map(Path::to_path_buf)),
            Some(Param { value: ParamValue::String(s), .. }) if s.is_empty() => Ok(None),
            Some(Param { value: ParamValue::String(s), .. }) => Ok(Some(PathBuf::from(s))),
            Some(p) => Err(self.wrong(name, p, "a path (string)")),
        }
    }

    /// A double array; an integer array is accepted too.
    pub fn f64_array(&self, name: &str, default: &[f64]) -> Result<Vec<f64>, ParamsError> {
        match self.lookup(name) {
            None => Ok(default.to_vec()),
            Some(Param { value: ParamValue::DoubleArray(v), .. }) => Ok(v.clone()),
            Some(Param { value: ParamValue::IntegerArray(v), .. }) => {
                Ok(v.iter().map(|&i| i as f64).collect())
            }
            Some(p) => Err(self.wrong(name, p, "a list of numbers")),
        }
    }

    pub fn string_array(&self, name: &str, default: &[&str]) -> Result<Vec<String>, ParamsError> {
        match self.lookup(name) {
            None => Ok(default.iter().map(|s| s.to_string()).collect()),
            Some(Param { value: ParamValue::StringArray(v), .. }) => Ok(v.clone()),
            Some(p) => Err(self.wrong(name, p, "a list of strings")),
        }
    }

    /// Warns once per parameter that was set for this node but never read. `use_sim_time` is
    /// the transport's, and names from `/**` sections may be other nodes'.
    pub fn finish(self) {
        let read = self.read.into_inner();
        for (name, param) in self.params.iter() {
            if !read.contains(name) && !param.from_wildcard && name != "use_sim_time" {
                tracing::warn!(
                    "{}: unknown parameter '{name}' ({}) ignored",
                    self.node,
                    param.origin
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "
/**:
  ros__parameters:
    use_sim_time: true
    score_threshold: 0.3
fusion:
  ros__parameters:
    score_threshold: 0.6
    threads: 2
    crop:
      min_x: -40
      max_x: 60.5
    frames: [base_link, lidar_top]
/other:
  ros__parameters:
    score_threshold: 0.9
";

    #[test]
    fn the_nodes_own_section_overrides_the_wildcard_and_nested_names_are_dotted() {
        let mut params = Params::new();
        params.load_str(FILE, "/fusion", "f.yaml").unwrap();
        let r = params.reader("fusion");
        assert_eq!(r.f64("score_threshold", 0.0).unwrap(), 0.6);
        assert!(r.bool("use_sim_time", false).unwrap());
        assert_eq!(r.f64("crop.min_x", 0.0).unwrap(), -40.0);
        assert_eq!(r.f64("crop.max_x", 0.0).unwrap(), 60.5);
        assert_eq!(r.string_array("frames", &[]).unwrap(), ["base_link", "lidar_top"]);
        assert_eq!(r.i64("absent", 7).unwrap(), 7);
        assert!(params.get("score_threshold").unwrap().origin.contains("section 'fusion'"));
    }

    #[test]
    fn sections_match_by_name_fully_qualified_name_and_wildcards() {
        assert!(node_matches("fusion", "/vehicle/fusion"));
        assert!(node_matches("/vehicle/fusion", "/vehicle/fusion"));
        assert!(!node_matches("/fusion", "/vehicle/fusion"));
        assert!(node_matches("/**", "/vehicle/fusion"));
        assert!(node_matches("/**/fusion", "/a/b/fusion"));
        assert!(node_matches("/*/fusion", "/vehicle/fusion"));
        assert!(!node_matches("/*/fusion", "/a/b/fusion"));
        assert!(!node_matches("/other", "/fusion"));
    }

    #[test]
    fn wrong_types_and_ranges_name_the_parameter_and_its_origin() {
        let mut params = Params::new();
        params.set_from_text("threads", "two", "-p").unwrap();
        params.set_from_text("score", "1.5", "-p").unwrap();
        let r = params.reader("fusion");
        let e = r.i64("threads", 1).unwrap_err().to_string();
        assert_eq!(e, "parameter 'threads' (-p) must be an integer, got string 'two'");
        let e = r.f64_in("score", 0.5, 0.0..=1.0).unwrap_err().to_string();
        assert_eq!(e, "parameter 'score' (-p) = 1.5 is out of range (0..=1)");
    }

    #[test]
    fn command_line_values_are_typed_as_yaml() {
        let mut params = Params::new();
        params.set_from_text("a", "2", "-p").unwrap();
        params.set_from_text("b", "2.0", "-p").unwrap();
        params.set_from_text("c", "[1, 2]", "-p").unwrap();
        params.set_from_text("d", "true", "-p").unwrap();
        params.set_from_text("e", "target/models/x.pt", "-p").unwrap();
        let get = |n: &str| params.get(n).unwrap().value.clone();
        assert_eq!(get("a"), ParamValue::Integer(2));
        assert_eq!(get("b"), ParamValue::Double(2.0));
        assert_eq!(get("c"), ParamValue::IntegerArray(vec![1, 2]));
        assert_eq!(get("d"), ParamValue::Bool(true));
        assert_eq!(get("e"), ParamValue::String("target/models/x.pt".into()));
    }

    #[test]
    fn broken_files_are_errors_that_name_the_file() {
        let mut params = Params::new();
        let e = params.load_str("fusion: [1", "/fusion", "bad.yaml").unwrap_err();
        assert!(e.to_string().starts_with("parameters file bad.yaml: not valid YAML"), "{e}");
        let e = params.load_str("fusion: {x: 1}", "/fusion", "b.yaml").unwrap_err();
        assert_eq!(e.to_string(), "parameters file b.yaml: 'fusion' has no ros__parameters");
        let e = params.load_file(Path::new("/nonexistent/p.yaml"), "/fusion").unwrap_err();
        assert!(e.to_string().contains("/nonexistent/p.yaml"), "{e}");
    }
}
