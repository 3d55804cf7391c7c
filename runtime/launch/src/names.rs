//! ROS 2 names: validation, expansion and remapping, as rcl and rmw do them, so that both of
//! our runtimes (in-process bus and ROS 2) give a node the same topic names.
//!
//! Rules come from the design article "Topic and Service name mapping to DDS"
//! (design.ros2.org/articles/topic_and_service_names.html) as rcl implements them
//! (`rcl_validate_topic_name`, `rcl_expand_topic_name`, `rcl_remap_*`) and rmw
//! (`rmw_validate_full_topic_name`, `rmw_validate_namespace`, `rmw_validate_node_name`).
//! Where the article and rcl differ, we follow rcl (what every ROS 2 peer runs): rcl does not
//! enforce the article's "no repeated or trailing underscores" rule.

use std::fmt;

/// rmw: 255 characters minus 8 reserved for DDS prefixes (`RMW_TOPIC_MAX_NAME_LENGTH`).
pub const TOPIC_MAX_LENGTH: usize = 255 - 8;
/// rmw: room left for the shortest topic, `/X` (`RMW_NAMESPACE_MAX_LENGTH`).
pub const NAMESPACE_MAX_LENGTH: usize = TOPIC_MAX_LENGTH - 2;
/// rmw: `RMW_NODE_NAME_MAX_NAME_LENGTH`.
pub const NODE_NAME_MAX_LENGTH: usize = 255;

/// The rule a name breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    Empty,
    UnallowedCharacter,
    /// A name or one of its tokens starts with a digit.
    StartsWithNumber,
    EndsWithSlash,
    RepeatedSlash,
    /// `~` anywhere but first.
    MisplacedTilde,
    /// `~foo` instead of `~/foo`.
    TildeNotFollowedBySlash,
    UnmatchedBrace,
    SubstitutionUnallowedCharacter,
    SubstitutionStartsWithNumber,
    /// `{x}` other than `{node}`, `{ns}`, `{namespace}`.
    UnknownSubstitution,
    NotAbsolute,
    TooLong,
    /// A remap rule that is not `[node:]from:=to`, or a URL scheme we do not read.
    MalformedRule,
}

impl fmt::Display for NameRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "must not be empty",
            Self::UnallowedCharacter => "must only contain alphanumerics, '_', '/', '~', '{', '}'",
            Self::StartsWithNumber => "must not start with a number (nor may any token)",
            Self::EndsWithSlash => "must not end with '/'",
            Self::RepeatedSlash => "must not contain '//'",
            Self::MisplacedTilde => "must not have '~' unless it is the first character",
            Self::TildeNotFollowedBySlash => "must not have '~' that is not followed by '/'",
            Self::UnmatchedBrace => "must not have unbalanced '{}'",
            Self::SubstitutionUnallowedCharacter => {
                "substitution must only contain alphanumerics or '_'"
            }
            Self::SubstitutionStartsWithNumber => "substitution must not start with a number",
            Self::UnknownSubstitution => "unknown substitution (known: {node}, {ns}, {namespace})",
            Self::NotAbsolute => "must be absolute (start with '/')",
            Self::TooLong => "is too long",
            Self::MalformedRule => "is not a remap rule '[node:]from:=to'",
        })
    }
}

/// What kind of name was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Topic,
    FullTopic,
    NodeName,
    Namespace,
    RemapRule,
}

/// A name that breaks a rule, with the byte index where it does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind:?} name '{name}' {rule} (at index {index})")]
pub struct NameError {
    pub kind: NameKind,
    pub name: String,
    pub rule: NameRule,
    pub index: usize,
}

fn fail<T>(kind: NameKind, name: &str, rule: NameRule, index: usize) -> Result<T, NameError> {
    Err(NameError { kind, name: name.to_string(), rule, index })
}

/// A topic or service name as a node writes it: relative, absolute, `~/private`, `{node}`.
/// rcl_validate_topic_name, plus the article's "no repeated '/'" (rcl finds that one only
/// after expansion; refusing it here gives the same outcome earlier).
pub fn validate_topic_name(name: &str) -> Result<(), NameError> {
    let k = NameKind::Topic;
    let bytes = name.as_bytes();
    let Some(&first) = bytes.first() else { return fail(k, name, NameRule::Empty, 0) };
    if first.is_ascii_digit() {
        return fail(k, name, NameRule::StartsWithNumber, 0);
    }
    if name.ends_with('/') {
        return fail(k, name, NameRule::EndsWithSlash, name.len() - 1);
    }
    let mut open_brace: Option<usize> = None;
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b'0'..=b'9' if open_brace.is_some_and(|o| o + 1 == i) => {
                return fail(k, name, NameRule::SubstitutionStartsWithNumber, i);
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => {}
            b'/' if open_brace.is_some() => {
                return fail(k, name, NameRule::SubstitutionUnallowedCharacter, i)
            }
            b'/' => {}
            b'~' if i != 0 => return fail(k, name, NameRule::MisplacedTilde, i),
            b'~' => {}
            b'{' if open_brace.is_some() => {
                return fail(k, name, NameRule::SubstitutionUnallowedCharacter, i)
            }
            b'{' => open_brace = Some(i),
            b'}' if open_brace.is_none() => return fail(k, name, NameRule::UnmatchedBrace, i),
            b'}' => open_brace = None,
            _ if open_brace.is_some() => {
                return fail(k, name, NameRule::SubstitutionUnallowedCharacter, i)
            }
            _ => return fail(k, name, NameRule::UnallowedCharacter, i),
        }
    }
    if let Some(open) = open_brace {
        return fail(k, name, NameRule::UnmatchedBrace, open);
    }
    if bytes.len() > 1 && first == b'~' && bytes[1] != b'/' {
        return fail(k, name, NameRule::TildeNotFollowedBySlash, 1);
    }
    check_tokens(k, name)
}

/// Every '/' is followed by a non-empty token that does not start with a digit.
fn check_tokens(kind: NameKind, name: &str) -> Result<(), NameError> {
    let bytes = name.as_bytes();
    for (i, pair) in bytes.windows(2).enumerate() {
        if pair[0] == b'/' && pair[1] == b'/' {
            return fail(kind, name, NameRule::RepeatedSlash, i + 1);
        }
        if pair[0] == b'/' && pair[1].is_ascii_digit() {
            return fail(kind, name, NameRule::StartsWithNumber, i + 1);
        }
    }
    Ok(())
}

/// A fully qualified topic name (after expansion): rmw_validate_full_topic_name.
pub fn validate_full_topic_name(name: &str) -> Result<(), NameError> {
    validate_absolute(NameKind::FullTopic, name, false, TOPIC_MAX_LENGTH)
}

/// A node namespace: rmw_validate_namespace (like a full topic name, but `/` is valid).
pub fn validate_namespace(namespace: &str) -> Result<(), NameError> {
    validate_absolute(NameKind::Namespace, namespace, true, NAMESPACE_MAX_LENGTH)
}

fn validate_absolute(
    kind: NameKind,
    name: &str,
    root_ok: bool,
    max: usize,
) -> Result<(), NameError> {
    if name.is_empty() {
        return fail(kind, name, NameRule::Empty, 0);
    }
    if !name.starts_with('/') {
        return fail(kind, name, NameRule::NotAbsolute, 0);
    }
    if name.ends_with('/') && !(root_ok && name == "/") {
        return fail(kind, name, NameRule::EndsWithSlash, name.len() - 1);
    }
    if let Some(i) =
        name.bytes().position(|c| !(c.is_ascii_alphanumeric() || c == b'_' || c == b'/'))
    {
        return fail(kind, name, NameRule::UnallowedCharacter, i);
    }
    check_tokens(kind, name)?;
    if name.len() > max {
        return fail(kind, name, NameRule::TooLong, max);
    }
    Ok(())
}

/// A node name: rmw_validate_node_name (alphanumerics and '_', not starting with a digit).
pub fn validate_node_name(name: &str) -> Result<(), NameError> {
    let k = NameKind::NodeName;
    let Some(first) = name.bytes().next() else { return fail(k, name, NameRule::Empty, 0) };
    if let Some(i) = name.bytes().position(|c| !(c.is_ascii_alphanumeric() || c == b'_')) {
        return fail(k, name, NameRule::UnallowedCharacter, i);
    }
    if first.is_ascii_digit() {
        return fail(k, name, NameRule::StartsWithNumber, 0);
    }
    if name.len() > NODE_NAME_MAX_LENGTH {
        return fail(k, name, NameRule::TooLong, NODE_NAME_MAX_LENGTH);
    }
    Ok(())
}

/// Expands a topic name of node `node_name` in `namespace` to its fully qualified name, as
/// rcl_expand_topic_name: `{node}`, `{ns}`/`{namespace}` substituted, a leading `~` becomes
/// `NAMESPACE/NODE`, a relative name is put into the namespace. The result is validated.
pub fn expand_topic_name(
    name: &str,
    node_name: &str,
    namespace: &str,
) -> Result<String, NameError> {
    validate_topic_name(name)?;
    validate_node_name(node_name)?;
    validate_namespace(namespace)?;
    let mut out = String::with_capacity(name.len() + namespace.len() + node_name.len());
    let mut rest = name;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        // validate_topic_name guarantees the matching '}'.
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        match &rest[open + 1..close] {
            "node" => out.push_str(node_name),
            "ns" | "namespace" => out.push_str(namespace),
            _ => {
                let index = name.len() - rest.len() + open;
                return fail(NameKind::Topic, name, NameRule::UnknownSubstitution, index);
            }
        }
        rest = rest.get(close + 1..).unwrap_or("");
    }
    out.push_str(rest);
    let prefix = |ns: &str| if ns == "/" { String::new() } else { ns.to_string() };
    let expanded = if let Some(private) = out.strip_prefix('~') {
        format!("{}/{}{}", prefix(namespace), node_name, private)
    } else if out.starts_with('/') {
        out
    } else {
        format!("{}/{}", prefix(namespace), out)
    };
    validate_full_topic_name(&expanded)?;
    Ok(expanded)
}

/// What a remap rule renames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemapKind {
    /// A topic or service name (`from:=to`).
    Name,
    /// The node's name (`__node:=NAME`, also spelled `__name`).
    NodeName,
    /// The node's namespace (`__ns:=/NS`).
    Namespace,
}

/// One remap rule, `[node:]from:=to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemapRule {
    /// Only for the node of this name (rcl's `node:` prefix); None: every node.
    pub node: Option<String>,
    pub kind: RemapKind,
    pub from: String,
    pub to: String,
}

impl RemapRule {
    /// A rule from its two sides (launch `<remap from to>`), checked as rcl checks `-r`.
    pub fn new(from: &str, to: &str) -> Result<Self, NameError> {
        let rule = |kind| Ok(Self { node: None, kind, from: from.to_string(), to: to.to_string() });
        match from {
            "__node" | "__name" => validate_node_name(to).and_then(|()| rule(RemapKind::NodeName)),
            "__ns" => validate_namespace(to).and_then(|()| rule(RemapKind::Namespace)),
            _ => {
                validate_topic_name(from)?;
                validate_topic_name(to)?;
                rule(RemapKind::Name)
            }
        }
    }

    /// A rule as given after `-r`/`--remap`: `[node:]from:=to`.
    pub fn parse(arg: &str) -> Result<Self, NameError> {
        let malformed = || fail(NameKind::RemapRule, arg, NameRule::MalformedRule, 0);
        let Some((left, to)) = arg.split_once(":=") else { return malformed() };
        if left.contains("://") || to.contains("://") {
            return malformed();
        }
        let (node, from) = match left.split_once(':') {
            Some((node, from)) => {
                validate_node_name(node)?;
                (Some(node.to_string()), from)
            }
            None => (None, left),
        };
        Ok(Self { node, ..Self::new(from, to)? })
    }

    fn applies_to(&self, kind: RemapKind, node_name: &str) -> bool {
        self.kind == kind && self.node.as_deref().is_none_or(|n| n == node_name)
    }
}

/// A node's final name and namespace after its remap rules, and the topic names it uses.
/// Rules are tried in order and the first match wins (rcl: the node's own rules, then the
/// process-wide ones: pass them in that order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeNames {
    name: String,
    namespace: String,
    rules: Vec<RemapRule>,
}

impl NodeNames {
    /// `namespace` may be empty (root) or relative (rcl makes it absolute).
    pub fn new(name: &str, namespace: &str, rules: Vec<RemapRule>) -> Result<Self, NameError> {
        validate_node_name(name)?;
        let namespace = if namespace.starts_with('/') {
            namespace.to_string()
        } else {
            format!("/{namespace}")
        };
        validate_namespace(&namespace)?;
        // rcl_node_init: the name first, then the namespace with rules for the *new* name.
        let name = rules
            .iter()
            .find(|r| r.applies_to(RemapKind::NodeName, name))
            .map_or(name.to_string(), |r| r.to.clone());
        let namespace = rules
            .iter()
            .find(|r| r.applies_to(RemapKind::Namespace, &name))
            .map_or(namespace, |r| r.to.clone());
        Ok(Self { name, namespace, rules })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// `/ns/name`, or `/name` in the root namespace.
    pub fn fully_qualified_name(&self) -> String {
        if self.namespace == "/" {
            format!("/{}", self.name)
        } else {
            format!("{}/{}", self.namespace, self.name)
        }
    }

    /// The fully qualified name the node really uses for `topic` (rcl_remap_topic_name): the
    /// name is expanded, then the first rule whose expanded `from` equals it gives the
    /// expanded `to`. A rule whose `from` cannot be expanded for this node is skipped, as rcl does.
    pub fn resolve_topic(&self, topic: &str) -> Result<String, NameError> {
        let expanded = expand_topic_name(topic, &self.name, &self.namespace)?;
        for rule in self.rules.iter().filter(|r| r.applies_to(RemapKind::Name, &self.name)) {
            if expand_topic_name(&rule.from, &self.name, &self.namespace)
                .is_ok_and(|f| f == expanded)
            {
                return expand_topic_name(&rule.to, &self.name, &self.namespace);
            }
        }
        Ok(expanded)
    }
}
