"""ROS 2 interop: rclpy (ROS 2 Kilted from PyPI, the venv .ros) as the peer nobody here wrote.

Run under the ROS 2 environment: `. target/ros2/env.sh; .ros/bin/python -m pytest tests/interop_ros2`
(scripts/test does). Every test process talks on one DDS domain of its own (ROS_DOMAIN_ID), so
concurrent runs on the machine do not hear each other."""

import array
import json
import os
import pathlib
import subprocess
import threading
import time

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("EDGEFUSION_BIN", ROOT / "target/release/edgefusion"))
FIXTURES = pathlib.Path(os.environ.get("EDGEFUSION_FIXTURES", ROOT.parent / "shared/fixtures"))
MODELS = pathlib.Path(os.environ.get("EDGEFUSION_MODELS", ROOT / "target/models"))


def need(condition, why):
    """Skips when something this test needs is absent; under CI that is a failure."""
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)


@pytest.fixture(scope="session")
def fixtures():
    need(FIXTURES.is_dir(), f"fixtures not found at {FIXTURES} (../shared beside the repo)")
    return FIXTURES


@pytest.fixture(scope="session")
def rclpy_context():
    """rclpy on a domain of this process's own; the edgefusion processes inherit it."""
    need(os.environ.get("EDGEFUSION_ROS_ENV"), "not in the ROS 2 environment: source target/ros2/env.sh")
    os.environ["ROS_DOMAIN_ID"] = str(120 + os.getpid() % 100)
    import rclpy

    rclpy.init()
    yield rclpy
    rclpy.shutdown()


class Peer:
    """An rclpy node spinning on its own thread."""

    def __init__(self, rclpy, name):
        from rclpy.executors import SingleThreadedExecutor

        self.node = rclpy.create_node(name)
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def close(self):
        self.executor.shutdown()
        self.node.destroy_node()


@pytest.fixture
def peer(rclpy_context, request):
    p = Peer(rclpy_context, "interop_" + request.node.name[:40].replace("[", "_").replace("]", "_"))
    yield p
    p.close()


def edgefusion(*args, check=True, timeout=300):
    assert BIN.exists(), f"{BIN} not built (scripts/setup)"
    proc = subprocess.run([str(BIN), *map(str, args)], capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"edgefusion {' '.join(map(str, args))} failed:\n{proc.stderr}")
    return proc


def start(*args):
    """An edgefusion process in the background (stderr kept for the failure message)."""
    return subprocess.Popen([str(BIN), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop(proc, timeout=30):
    """Ctrl-C, as an operator would; returns (exit code, stderr)."""
    if proc.poll() is None:
        proc.send_signal(subprocess.signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return proc.returncode, err


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def plain(value):
    """rclpy messages, rosbags dataclasses and JSON as nested dicts/lists of Python scalars."""
    if hasattr(value, "get_fields_and_field_types"):
        return {name: plain(getattr(value, name)) for name in value.get_fields_and_field_types()}
    if hasattr(value, "__dataclass_fields__"):
        # rosbags also lists a message's constants (upper case; ROS field names are lower case).
        return {name: plain(getattr(value, name)) for name in value.__dataclass_fields__
                if name != "__msgtype__" and not name.isupper()}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return list(bytes(value))
    if isinstance(value, (np.ndarray, array.array)):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def read_rosbags(path):
    """[(topic, message)] in bag order, decoded by the `rosbags` package."""
    from rosbags.highlevel import AnyReader

    with AnyReader([pathlib.Path(path)]) as reader:
        return [(c.topic, reader.deserialize(raw, c.msgtype)) for c, _, raw in reader.messages()]


def echo(path, *topics):
    """[(topic, message as JSON)] decoded by edgefusion's own codec (`bag echo`)."""
    args = ["bag", "echo", path] + (["--topics", *topics] if topics else [])
    lines = edgefusion(*args).stdout.splitlines()
    return [(d["topic"], d["message"]) for d in map(json.loads, lines)]
