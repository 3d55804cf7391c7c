//! ROS 2 name rules. Each case cites the rule it checks: the design article "Topic and Service
//! name mapping to DDS" (design.ros2.org/articles/topic_and_service_names.html, "article"),
//! rcl (`rcl_validate_topic_name`, `rcl_expand_topic_name`, `rcl_remap_*`, node init) or rmw
//! (`rmw_validate_full_topic_name`, `rmw_validate_namespace`, `rmw_validate_node_name`).

use edgefusion_launch::names::*;

fn rule_of(result: Result<(), NameError>) -> Option<NameRule> {
    result.err().map(|e| e.rule)
}

#[test]
fn valid_topic_names_from_the_article() {
    // article, "ROS 2 Name Examples": the valid names (URL forms are not read here).
    for name in [
        "foo",
        "abc123",
        "_foo",
        "Foo",
        "BAR",
        "~",
        "foo/bar",
        "~/foo",
        "{foo}_bar",
        "foo/{ping}/bar",
        "foo/_bar",
    ] {
        assert_eq!(validate_topic_name(name), Ok(()), "{name}");
    }
}

#[test]
fn invalid_topic_names_from_the_article() {
    // article, "ROS 2 Name Examples": the invalid names, each with the rule rcl reports.
    let cases = [
        ("123abc", NameRule::StartsWithNumber), // must not start with a numeric character
        ("123", NameRule::StartsWithNumber),
        ("foo bar", NameRule::UnallowedCharacter), // alphanumerics, '_', '/' only
        (" ", NameRule::UnallowedCharacter),
        ("foo//bar", NameRule::RepeatedSlash), // must not contain repeated '/'
        ("foo/", NameRule::EndsWithSlash),     // must not end with '/'
        ("~foo", NameRule::TildeNotFollowedBySlash), // '~' separated by '/'
        ("foo~", NameRule::MisplacedTilde),    // '~' only at the beginning
        ("foo~/bar", NameRule::MisplacedTilde),
        ("foo/~bar", NameRule::MisplacedTilde),
        ("/~", NameRule::MisplacedTilde),
        ("foo/~/bar", NameRule::MisplacedTilde),
        ("", NameRule::Empty), // must not be empty
    ];
    for (name, rule) in cases {
        assert_eq!(rule_of(validate_topic_name(name)), Some(rule), "{name:?}");
    }
}

#[test]
fn article_underscore_rule_is_not_enforced_like_rcl() {
    // The article lists `foo_/bar` as invalid (single underscores), but rcl_validate_topic_name
    // has no such check and rmw neither: a ROS 2 node accepts it, so we do too.
    assert_eq!(validate_topic_name("foo_/bar"), Ok(()));
}

#[test]
fn substitution_and_token_rules() {
    // rcl_validate_topic_name: unmatched/nested braces, substitution content, tokens.
    assert_eq!(rule_of(validate_topic_name("{foo")), Some(NameRule::UnmatchedBrace));
    assert_eq!(rule_of(validate_topic_name("/foo}")), Some(NameRule::UnmatchedBrace));
    assert_eq!(
        rule_of(validate_topic_name("foo/{{bar}_baz}")),
        Some(NameRule::SubstitutionUnallowedCharacter)
    );
    assert_eq!(
        rule_of(validate_topic_name("foo/{4bar}")),
        Some(NameRule::SubstitutionStartsWithNumber)
    );
    assert_eq!(
        rule_of(validate_topic_name("foo/{ba/r}")),
        Some(NameRule::SubstitutionUnallowedCharacter)
    );
    // "must not start with numeric characters" holds for every token, not only the first.
    assert_eq!(rule_of(validate_topic_name("foo/2bar")), Some(NameRule::StartsWithNumber));
    let err = validate_topic_name("foo/2bar").unwrap_err();
    assert_eq!(err.index, 4, "index of the offending character");
}

#[test]
fn fully_qualified_names() {
    // article, "Fully Qualified Names" examples, and rmw_validate_full_topic_name's rules.
    for name in ["/foo", "/bar/baz", "/_private/thing", "/public_namespace/_private/thing"] {
        assert_eq!(validate_full_topic_name(name), Ok(()), "{name}");
    }
    assert_eq!(rule_of(validate_full_topic_name("foo")), Some(NameRule::NotAbsolute));
    assert_eq!(rule_of(validate_full_topic_name("/~/foo")), Some(NameRule::UnallowedCharacter));
    assert_eq!(rule_of(validate_full_topic_name("/{ns}/foo")), Some(NameRule::UnallowedCharacter));
    assert_eq!(rule_of(validate_full_topic_name("/")), Some(NameRule::EndsWithSlash));
    // RMW_TOPIC_MAX_NAME_LENGTH = 255 - 8, checked last.
    let long = format!("/{}", "a".repeat(TOPIC_MAX_LENGTH));
    assert_eq!(rule_of(validate_full_topic_name(&long)), Some(NameRule::TooLong));
    assert_eq!(validate_full_topic_name(&long[..TOPIC_MAX_LENGTH]), Ok(()));
}

#[test]
fn namespaces_and_node_names() {
    // rmw_validate_namespace: absolute, "/" valid, no trailing '/'.
    assert_eq!(validate_namespace("/"), Ok(()));
    assert_eq!(validate_namespace("/a/b"), Ok(()));
    assert_eq!(rule_of(validate_namespace("a")), Some(NameRule::NotAbsolute));
    assert_eq!(rule_of(validate_namespace("/a/")), Some(NameRule::EndsWithSlash));
    assert_eq!(rule_of(validate_namespace("")), Some(NameRule::Empty));
    // rmw_validate_node_name: alphanumerics and '_', not starting with a number, no '/'.
    assert_eq!(validate_node_name("my_node2"), Ok(()));
    assert_eq!(rule_of(validate_node_name("2node")), Some(NameRule::StartsWithNumber));
    assert_eq!(rule_of(validate_node_name("ns/node")), Some(NameRule::UnallowedCharacter));
    assert_eq!(rule_of(validate_node_name("")), Some(NameRule::Empty));
}

#[test]
fn expansion_table_from_the_article() {
    // article, "Private Namespace Substitution Character": the expansion table.
    let cases = [
        ("ping", "/", "/ping"),
        ("ping", "/my_ns", "/my_ns/ping"),
        ("/ping", "/", "/ping"),
        ("/ping", "/my_ns", "/ping"),
        ("~", "/", "/my_node"),
        ("~", "/my_ns", "/my_ns/my_node"),
        ("~/ping", "/", "/my_node/ping"),
        ("~/ping", "/my_ns", "/my_ns/my_node/ping"),
    ];
    for (name, ns, expected) in cases {
        assert_eq!(
            expand_topic_name(name, "my_node", ns).as_deref(),
            Ok(expected),
            "{name} in {ns}"
        );
    }
    // article: "if the node is put into a namespace /ping/pong and the name is foo/bar".
    assert_eq!(expand_topic_name("foo/bar", "n", "/ping/pong").unwrap(), "/ping/pong/foo/bar");
}

#[test]
fn expansion_substitutions_like_rcl() {
    // rcl_expand_topic_name: {node}, {ns} and {namespace}; others are unknown.
    assert_eq!(expand_topic_name("{node}/out", "cam", "/car").unwrap(), "/car/cam/out");
    assert_eq!(expand_topic_name("{ns}/out", "cam", "/car").unwrap(), "/car/out");
    assert_eq!(
        expand_topic_name("/x/{namespace}", "cam", "/car").unwrap_err().rule,
        NameRule::RepeatedSlash
    );
    assert_eq!(
        expand_topic_name("{robot}/out", "cam", "/car").unwrap_err().rule,
        NameRule::UnknownSubstitution
    );
    assert_eq!(expand_topic_name("ping", "2cam", "/").unwrap_err().kind, NameKind::NodeName);
}

#[test]
fn remap_rules_parse_like_rcl_arguments() {
    // rcl arguments: `[node:]from:=to`; `__node`/`__name` and `__ns` are the node's own.
    let rule = RemapRule::parse("talker:chatter:=/talk").unwrap();
    assert_eq!(rule.node.as_deref(), Some("talker"));
    assert_eq!(
        (rule.kind, rule.from.as_str(), rule.to.as_str()),
        (RemapKind::Name, "chatter", "/talk")
    );
    assert_eq!(RemapRule::parse("__node:=cam").unwrap().kind, RemapKind::NodeName);
    assert_eq!(RemapRule::parse("__name:=cam").unwrap().kind, RemapKind::NodeName);
    assert_eq!(RemapRule::parse("__ns:=/car").unwrap().kind, RemapKind::Namespace);
    assert!(RemapRule::parse("__ns:=car").is_err(), "a namespace replacement is absolute");
    assert!(RemapRule::parse("__node:=a/b").is_err(), "a node name has no '/'");
    assert!(RemapRule::parse("chatter=foo").is_err(), "':=' is the separator");
    assert!(RemapRule::parse("rostopic://foo:=bar").is_err(), "URL forms are not read");
}

#[test]
fn node_name_then_namespace_remap() {
    // rcl node init: the node name is remapped first, the namespace rules are then matched
    // against the new name; the first matching rule wins.
    let rules = vec![
        RemapRule::parse("__node:=renamed").unwrap(),
        RemapRule::parse("__node:=ignored").unwrap(),
        RemapRule::parse("orig:__ns:=/not_this").unwrap(),
        RemapRule::parse("renamed:__ns:=/car").unwrap(),
    ];
    let names = NodeNames::new("orig", "", rules).unwrap();
    assert_eq!((names.name(), names.namespace()), ("renamed", "/car"));
    assert_eq!(names.fully_qualified_name(), "/car/renamed");
    // A relative namespace is made absolute, as rcl_node_init does.
    assert_eq!(NodeNames::new("n", "a/b", vec![]).unwrap().namespace(), "/a/b");
}

#[test]
fn topic_remap_matches_the_expanded_name() {
    // rcl_remap_topic_name: the rule's FROM is expanded with the node's name and namespace
    // and compared with the expanded topic; TO is expanded the same way; first match wins.
    let rules = vec![
        RemapRule::parse("other_node:points:=/wrong").unwrap(),
        RemapRule::parse("/car/points:=/carla/ego_vehicle/lidar").unwrap(),
        RemapRule::parse("points:=/second").unwrap(),
        RemapRule::parse("~/status:=status_out").unwrap(),
    ];
    let names = NodeNames::new("lidar", "/car", rules).unwrap();
    // "points" in /car expands to /car/points, which the absolute FROM of rule 2 matches.
    assert_eq!(names.resolve_topic("points").unwrap(), "/carla/ego_vehicle/lidar");
    assert_eq!(names.resolve_topic("/car/points").unwrap(), "/carla/ego_vehicle/lidar");
    // A private FROM matches the private name; a relative TO lands in the node's namespace.
    assert_eq!(names.resolve_topic("~/status").unwrap(), "/car/status_out");
    // No rule: the expanded name.
    assert_eq!(names.resolve_topic("/sensing/lidar/points").unwrap(), "/sensing/lidar/points");
}
