"""Shared helpers for the interop tests: our binary, the shared fixtures, and the two
independent ROS 2 bag readers (rosbags, mcap + mcap-ros2-support) normalised to plain values."""

import dataclasses
import os
import pathlib
import subprocess

import numpy as np
import pytest
from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory
from rosbags.highlevel import AnyReader

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("EDGEFUSION_BIN", ROOT / "target/release/edgefusion"))
FIXTURES = pathlib.Path(os.environ.get("EDGEFUSION_FIXTURES", ROOT.parent / "shared/fixtures"))


@pytest.fixture(scope="session")
def fixtures():
    """The shared third-party fixtures; absent only skips outside CI."""
    if not FIXTURES.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"fixtures not found at {FIXTURES} (CI must run with ../shared beside the repo)")
        pytest.skip(f"fixtures not found at {FIXTURES}")
    return FIXTURES


@pytest.fixture(scope="session")
def ros_prefix():
    """The ROS 2 Kilted prefix scripts/setup installs (.ros), or EDGEFUSION_ROS_PREFIX."""
    prefix = pathlib.Path(os.environ.get("EDGEFUSION_ROS_PREFIX", ROOT / ".ros"))
    if not (prefix / "share/std_msgs").is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"no ROS 2 prefix at {prefix} (scripts/setup installs it)")
        pytest.skip(f"no ROS 2 prefix at {prefix} (run scripts/setup)")
    return prefix


def edgefusion(*args, check=True):
    """Runs our CLI; returns the completed process (stdout/stderr as text)."""
    assert BIN.exists(), f"{BIN} not built (run scripts/setup)"
    proc = subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"edgefusion {' '.join(map(str, args))} failed:\n{proc.stderr}")
    return proc


def plain(value):
    """A decoded message from either reader as nested dicts/lists of Python scalars."""
    if dataclasses.is_dataclass(value):
        # rosbags also lists a message's constants (upper case; ROS field names are lower case).
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name != "__msgtype__" and not f.name.isupper()}
    if hasattr(value, "__slots__") and not isinstance(value, (bytes, str)):
        return {k: plain(getattr(value, k)) for k in value.__slots__}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return list(bytes(value))
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def read_rosbags(path):
    """[(topic, type, log_time_ns, message)] in bag order, read by the `rosbags` package."""
    out = []
    with AnyReader([pathlib.Path(path)]) as reader:
        for conn, timestamp, raw in reader.messages():
            out.append((conn.topic, conn.msgtype, timestamp, reader.deserialize(raw, conn.msgtype), raw))
    return out


def read_mcap_ros2(path):
    """[(topic, type, log_time_ns, message)] over every .mcap file of a bag, decoded by
    mcap-ros2-support from the schemas embedded in the files."""
    path = pathlib.Path(path)
    files = sorted(path.glob("*.mcap")) if path.is_dir() else [path]
    out = []
    for file in files:
        with open(file, "rb") as f:
            reader = make_reader(f, decoder_factories=[DecoderFactory()])
            for schema, channel, message, decoded in reader.iter_decoded_messages(log_time_order=True):
                out.append((channel.topic, schema.name, message.log_time, decoded, message.data))
    return out


def read_raw(path):
    """[(topic, log_time_ns, raw bytes)] straight from the storage files, with the `mcap`
    package and Python's own sqlite3: the plainest independent view of a bag's contents.
    (rosbags 0.11.9 yields no messages from rosbag2's talker test bags, so it cannot be the
    reference for those.)"""
    import sqlite3

    path = pathlib.Path(path)
    files = sorted(path.glob("*.mcap")) + sorted(path.glob("*.db3")) if path.is_dir() else [path]
    out = []
    for file in files:
        if file.suffix == ".mcap":
            with open(file, "rb") as f:
                for _, channel, message in make_reader(f).iter_messages():
                    out.append((channel.topic, message.log_time, bytes(message.data)))
        else:
            db = sqlite3.connect(f"file:{file}?mode=ro&immutable=1", uri=True)
            rows = db.execute("SELECT topics.name, messages.timestamp, messages.data FROM messages "
                              "JOIN topics ON messages.topic_id = topics.id")
            out.extend((name, ts, bytes(data)) for name, ts, data in rows)
            db.close()
    return out
