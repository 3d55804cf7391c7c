"""rosbag2's own test bags through edgefusion: `bag info` agrees with rosbags, and a bag
re-recorded by `edgefusion bag record --play` holds the same messages byte for byte, in a
form rosbags (and, for MCAP, mcap-ros2-support) reads."""

import json

import pytest

from conftest import edgefusion, read_mcap_ros2, read_raw, read_rosbags

BAGS = ["mcap/talker", "sqlite3/talker", "mcap/cdr_test", "sqlite3/cdr_test", "mcap/wbag"]


@pytest.mark.parametrize("bag", BAGS)
def test_bag_info_counts_match_rosbags(fixtures, bag):
    info = json.loads(edgefusion("bag", "info", fixtures / "rosbags" / bag, "--json").stdout)
    original = read_raw(fixtures / "rosbags" / bag)
    assert info["message_count"] == len(original)
    assert info["start_ns"] == min(ts for _, ts, _ in original)
    assert info["end_ns"] == max(ts for _, ts, _ in original)
    counts = {}
    for topic, _, _ in original:
        counts[topic] = counts.get(topic, 0) + 1
    assert {t["name"]: t["count"] for t in info["topics"] if t["count"]} == counts


@pytest.mark.parametrize("bag", ["mcap/talker", "sqlite3/cdr_test"])
@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_record_of_a_replay_reproduces_the_bag(fixtures, tmp_path, bag, storage):
    out = tmp_path / "copy"
    edgefusion("bag", "record", "--play", fixtures / "rosbags" / bag, "--fast", "--all",
               "-o", out, "--storage", storage)
    original = sorted((ts, topic, data) for topic, ts, data in read_raw(fixtures / "rosbags" / bag))
    assert sorted((ts, topic, data) for topic, ts, data in read_raw(out)) == original
    # The copy also decodes with the independent readers, from the definitions it carries.
    copy = read_rosbags(out)
    assert sorted((ts, topic, raw) for topic, _, ts, _, raw in copy) == original
    if storage == "mcap":
        decoded = read_mcap_ros2(out)
        assert sorted((ts, topic, raw) for topic, _, ts, _, raw in decoded) == original
