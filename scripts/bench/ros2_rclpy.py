#!/usr/bin/env python3
"""PointCloud2 latency between two rclpy processes: the reference pair for r2r's numbers.

Same method as runtime/ros2/examples/ros2_latency.rs: the publisher stamps header.stamp with the
wall clock (CLOCK_REALTIME, time.time_ns) just before publish() (which serializes); the
subscriber reads the wall clock first thing in its callback, i.e. once rclpy has deserialized
the message into a Python object. Latency = receipt - stamp. header.frame_id carries the
sequence number (warm-up discarded, losses counted). QoS: reliable, keep last 10, volatile.

  ros2_rclpy.py sub --size 2097152 --rate 10 --count 100 --warmup 10
  ros2_rclpy.py pub --size 2097152 --rate 10 --count 100 --warmup 10

--rate 0 publishes as fast as possible. The subscriber prints one line `RESULT key=value ...`;
both processes end by themselves (bounded counts and timeouts). Run with the Python of
target/ros2/env.sh ($EDGEFUSION_ROS_PYTHON).
"""

import argparse
import array
import math
import struct
import sys
import time

import rclpy
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import PointCloud2, PointField

DEPTH = 10
IDLE_S = 5.0  # after the first message, this long without one means the rest is lost
POINT_STEP = 16  # packed float32 x, y, z, intensity


def qos():
    return QoSProfile(
        history=HistoryPolicy.KEEP_LAST,
        depth=DEPTH,
        reliability=ReliabilityPolicy.RELIABLE,
        durability=DurabilityPolicy.VOLATILE,
    )


def cloud_of(size):
    """A cloud of `size` bytes of finite points, the same layout and values as the Rust side."""
    msg = PointCloud2()
    points = size // POINT_STEP
    msg.height = 1
    msg.width = points
    msg.fields = [
        PointField(name=name, offset=4 * i, datatype=PointField.FLOAT32, count=1)
        for i, name in enumerate(("x", "y", "z", "intensity"))
    ]
    msg.is_bigendian = False
    msg.point_step = POINT_STEP
    msg.row_step = POINT_STEP * points
    values = [(i % 1000) * 0.01 for i in range(size // 4)]
    msg.data = array.array("B", struct.pack(f"<{len(values)}f", *values))
    msg.is_dense = True
    return msg


def stamp_now(msg):
    ns = time.time_ns()
    msg.header.stamp.sec = ns // 1_000_000_000
    msg.header.stamp.nanosec = ns % 1_000_000_000


def publish(args, node):
    deadline = time.monotonic() + args.timeout
    publisher = node.create_publisher(PointCloud2, args.topic, qos())
    while publisher.get_subscription_count() == 0:
        if time.monotonic() > deadline:
            sys.exit(f"ros2_rclpy pub: no subscriber of {args.topic} discovered within {args.timeout} s")
        rclpy.spin_once(node, timeout_sec=0.02)
    msg = cloud_of(args.size)
    period = 1.0 / args.rate if args.rate > 0 else None
    start = time.monotonic()
    first = last = None  # sends of the first and last measured messages, for the rate achieved
    for seq in range(args.warmup + args.count):
        if period is not None:
            left = start + seq * period - time.monotonic()
            if left > 0:
                time.sleep(left)
        if seq >= args.warmup:
            last = time.monotonic()
            first = first or last
        msg.header.frame_id = str(seq)
        stamp_now(msg)
        publisher.publish(msg)
    sent_per_s = (args.count - 1) / (last - first) if last > first else 0.0
    print(f"SENT sent_per_s={sent_per_s:.1f}", flush=True)
    # A reliable writer must live until the reader has everything: the subscriber leaves when done.
    while publisher.get_subscription_count() > 0 and time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.02)
    if publisher.get_subscription_count() > 0:
        print(f"ros2_rclpy pub: the subscriber was still there after {args.timeout} s", file=sys.stderr)


class Tally:
    """What the subscriber saw: latencies of the measured messages, losses, oddities."""

    def __init__(self, args):
        self.size = args.size
        self.warmup = args.warmup
        self.seen = [False] * args.count
        self.latencies_ns = []
        self.first = self.latest = self.heard = None
        self.bad = 0  # wrong size, unreadable or out-of-range sequence number, duplicates
        self.done = False  # the last message arrived (delivery is in order)

    def record(self, msg, received_ns):
        now = time.monotonic()
        self.heard = now
        try:
            seq = int(msg.header.frame_id)
        except ValueError:
            self.bad += 1
            return
        if len(msg.data) != self.size:
            self.bad += 1
            return
        index = seq - self.warmup
        if index < 0:
            return
        if index >= len(self.seen) or self.seen[index]:
            self.bad += 1
            return
        self.seen[index] = True
        stamp = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
        self.latencies_ns.append(received_ns - stamp)
        if self.first is None:
            self.first = now
        self.latest = now
        self.done = index + 1 == len(self.seen)

    def idle(self):
        return self.heard is not None and time.monotonic() - self.heard > IDLE_S

    def result(self, args):
        ordered = sorted(self.latencies_ns)
        received = len(ordered)
        rate = 0.0
        if received > 1 and self.latest > self.first:
            rate = (received - 1) / (self.latest - self.first)
        return (
            f"RESULT transport=rclpy size={args.size} rate={args.rate:g} count={args.count} "
            f"received={received} lost={len(self.seen) - received} bad={self.bad} "
            f"p50_us={us(nearest_rank(ordered, 0.50)):.1f} p99_us={us(nearest_rank(ordered, 0.99)):.1f} "
            f"max_us={us(ordered[-1] if ordered else None):.1f} msgs_per_s={rate:.1f}"
        )


def nearest_rank(ordered, q):
    """The q-quantile by nearest rank (the same definition as the Rust side)."""
    if not ordered:
        return None
    return ordered[max(math.ceil(q * len(ordered)), 1) - 1]


def us(ns):
    return math.nan if ns is None else ns / 1000.0


def subscribe(args, node):
    deadline = time.monotonic() + args.timeout
    tally = Tally(args)
    node.create_subscription(PointCloud2, args.topic, lambda msg: tally.record(msg, time.time_ns()), qos())
    while not tally.done and not tally.idle() and time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.1)
    print(tally.result(args), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("pub", "sub"))
    parser.add_argument("--size", type=int, required=True, help="bytes of PointCloud2.data (multiple of 16)")
    parser.add_argument("--rate", type=float, default=10.0, help="messages per second; 0 = as fast as possible")
    parser.add_argument("--count", type=int, default=100, help="messages measured, after the warm-up")
    parser.add_argument("--warmup", type=int, default=10, help="messages sent first and not measured")
    parser.add_argument("--topic", default="/bench/points")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds a process may run in all")
    args = parser.parse_args()
    if args.size % POINT_STEP or args.count <= 0 or args.rate < 0:
        parser.error(f"--size must be a multiple of {POINT_STEP}, --count > 0 and --rate >= 0")
    rclpy.init()
    node = rclpy.create_node(f"ros2_rclpy_{args.mode}")
    try:
        (publish if args.mode == "pub" else subscribe)(args, node)
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
