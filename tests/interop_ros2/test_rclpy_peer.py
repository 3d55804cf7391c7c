"""edgefusion's ROS 2 transport against rclpy: messages rclpy publishes arrive in edgefusion
field for field; a bag edgefusion plays arrives at rclpy complete and in order; the fusion
node's output arrives at rclpy equal to what edgefusion itself recorded."""

import shutil
import time

import numpy as np
import pytest
from conftest import MODELS, echo, edgefusion, need, plain, read_rosbags, start, stop, wait_for

def make_messages():
    """Messages of each type the sensor nodes take, with every field set to a non-default."""
    from builtin_interfaces.msg import Time
    from edgefusion_msgs.msg import V2xPacket
    from sensor_msgs.msg import CameraInfo, Image, PointCloud2, PointField
    from std_msgs.msg import Header

    rng = np.random.default_rng(7)
    out = {"/sensing/lidar/points": [], "/sensing/camera/front/image_raw": [],
           "/sensing/camera/front/camera_info": [], "/v2x/packets": []}
    for i in range(5):
        header = Header(stamp=Time(sec=1000 + i, nanosec=123456789), frame_id=f"frame_{i}")
        points = rng.normal(size=(100 + i, 4)).astype(np.float32)
        fields = [PointField(name=n, offset=4 * k, datatype=PointField.FLOAT32, count=1)
                  for k, n in enumerate(["x", "y", "z", "intensity"])]
        out["/sensing/lidar/points"].append(PointCloud2(
            header=header, height=1, width=len(points), fields=fields, is_bigendian=False,
            point_step=16, row_step=16 * len(points), data=points.tobytes(), is_dense=True))
        pixels = rng.integers(0, 255, size=(6, 8, 3), dtype=np.uint8)
        out["/sensing/camera/front/image_raw"].append(Image(
            header=header, height=6, width=8, encoding="rgb8", is_bigendian=0, step=24,
            data=pixels.tobytes()))
        info = CameraInfo(header=header, height=375, width=1242, distortion_model="plumb_bob")
        info.d = [0.1 * i, -0.2, 0.001, 0.002, 0.0]
        info.k = [721.5, 0.0, 609.5, 0.0, 721.5, 172.8, 0.0, 0.0, 1.0]
        info.r = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
        info.p = [721.5, 0.0, 609.5, 44.9 + i, 0.0, 721.5, 172.8, 0.2, 0.0, 0.0, 1.0, 0.003]
        info.binning_x, info.binning_y = 1, 2
        info.roi.x_offset, info.roi.width, info.roi.do_rectify = 3, 40, True
        out["/sensing/camera/front/camera_info"].append(info)
        out["/v2x/packets"].append(V2xPacket(
            header=header, encoding=V2xPacket.ENCODING_UPER_CPM, source=f"udp://127.0.0.1:{4400 + i}",
            data=bytes(rng.integers(0, 255, size=40 + i, dtype=np.uint8))))
    return out


def test_rclpy_messages_arrive_in_edgefusion_field_for_field(peer, tmp_path):
    from edgefusion_msgs.msg import V2xPacket
    from sensor_msgs.msg import CameraInfo, Image, PointCloud2

    messages = make_messages()
    types = {"/sensing/lidar/points": PointCloud2, "/sensing/camera/front/image_raw": Image,
             "/sensing/camera/front/camera_info": CameraInfo, "/v2x/packets": V2xPacket}
    # Reliable publishers: the recorder matches them reliably, so nothing may be lost.
    publishers = {t: peer.node.create_publisher(types[t], t, 10) for t in messages}
    total = sum(map(len, messages.values()))
    recording = tmp_path / "recording"
    recorder = start("bag", "record", "--ros2", "-o", recording, *messages, "--max-messages", total,
                     "--duration", 60)
    try:
        wait_for(lambda: all(p.get_subscription_count() > 0 for p in publishers.values()), 30,
                 "edgefusion's recorder to subscribe")
        for i in range(5):
            for topic, publisher in publishers.items():
                publisher.publish(messages[topic][i])
            time.sleep(0.02)
        # It stops by itself after the last message (--max-messages).
        assert _wait(recorder, 30), "the recorder did not get every message"
    finally:
        code, err = stop(recorder)
    assert code == 0, err
    expected = {t: [plain(m) for m in ms] for t, ms in messages.items()}
    # An independent reader decodes what edgefusion recorded from rclpy ...
    by_topic = {}
    for topic, message in read_rosbags(recording):
        by_topic.setdefault(topic, []).append(plain(message))
    assert by_topic == expected
    # ... and so does edgefusion's own codec, the one its nodes decode with.
    by_topic = {}
    for topic, message in echo(recording):
        by_topic.setdefault(topic, []).append(plain(message))
    assert by_topic == expected


def _wait(proc, seconds):
    """True if the process ended by itself within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def lidar_bag(fixtures, tmp_path):
    """The ten 360° KITTI clouds as a bag made by edgefusion's converter (10 Hz)."""
    bag = tmp_path / "clouds"
    edgefusion("bag", "convert", "kitti", fixtures / "kitti_lidar_only", "-o", bag)
    return bag


def test_a_bag_played_onto_ros2_arrives_at_rclpy_complete_and_in_order(peer, lidar_bag):
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import PointCloud2

    received = []
    # Best effort (a reliable reader does not match the player's sensor-data publisher), deep
    # enough that a slow Python callback does not lose a 2 MB cloud.
    qos = QoSProfile(depth=20, reliability=ReliabilityPolicy.BEST_EFFORT)
    peer.node.create_subscription(PointCloud2, "/sensing/lidar/points", received.append, qos)
    edgefusion("bag", "play", "--ros2", lidar_bag, "--wait-for-subscribers", 30, "--topics",
               "/sensing/lidar/points", timeout=120)
    expected = [m for topic, m in read_rosbags(lidar_bag) if topic == "/sensing/lidar/points"]
    wait_for(lambda: len(received) >= len(expected), 10, f"{len(expected)} clouds")
    assert len(expected) == 10
    assert [plain(m.header) for m in received] == [plain(m.header) for m in expected]
    for got, want in zip(received, expected):
        assert bytes(got.data) == bytes(want.data)
        assert plain(got) == plain(want)


@pytest.fixture
def kitti_sequence(fixtures, tmp_path):
    """KITTI frame 000008 three times at 10 Hz, converted by edgefusion."""
    sequence = tmp_path / "sequence"
    for name in ["000000", "000001", "000002"]:
        shutil.copytree(fixtures / "kitti/000008", sequence / name)
    bag = tmp_path / "frames"
    edgefusion("bag", "convert", "kitti", sequence, "-o", bag)
    return bag


def test_the_fusion_nodes_objects_reach_rclpy_equal_to_edgefusions_recording(peer, kitti_sequence, tmp_path):
    from edgefusion_msgs.msg import DetectedObject, DetectedObjectArray

    model = MODELS / "fusion_int8.pt"
    need(model.is_file(), f"no exported model at {model} (model/export)")
    received = []
    peer.node.create_subscription(DetectedObjectArray, "/perception/objects", received.append, 10)
    # The fusion node takes the camera node's rectified image (rgb8 passes through unchanged).
    camera = start("node", "camera")
    # A cloud waits up to 0.5 s for its image (100 ms by default): the image crosses two DDS
    # hops (bag player -> camera node -> fusion node) on a machine busy with the model.
    node = start("node", "fusion", "--ros-args", "-p", f"model_path:={model}", "-p", "sync.camera_wait_ms:=500.0",
                 "-r", "__node:=fusion_under_test")
    recording = tmp_path / "objects"
    recorder = start("bag", "record", "--ros2", "-o", recording, "/perception/objects", "--max-messages", 3,
                     "--duration", 120)
    try:
        wait_for(lambda: peer.node.count_publishers("/perception/objects") > 0, 60, "the fusion node")
        wait_for(lambda: peer.node.count_subscribers("/perception/objects") > 1, 30, "the recorder")
        # Slower than recorded: DDS does not order messages across topics, the node pairs by
        # stamp, and each image should be there before its cloud.
        edgefusion("bag", "play", "--ros2", kitti_sequence, "--rate", 0.5, "--wait-for-subscribers", 30,
                   timeout=120)
        wait_for(lambda: len(received) >= 3, 60, "3 object arrays")
        _wait(recorder, 30)
    finally:
        node_code, node_err = stop(node)
        stop(recorder)
        stop(camera)
    assert node_code == 0, node_err
    for objects in received:
        cars = [o for o in objects.objects if o.classification == DetectedObject.CLASS_CAR and o.has_image_box]
        assert len(cars) >= 5, (plain(objects), node_err[-3000:])
    # The stamps of the clouds, in order, each once.
    assert [m.header.stamp.sec * 10**9 + m.header.stamp.nanosec for m in received] == sorted(
        {m.header.stamp.sec * 10**9 + m.header.stamp.nanosec for m in received})
    recorded = [plain(m) for _, m in echo(recording)]
    assert recorded == [plain(m) for m in received]
    assert [plain(m) for _, m in read_rosbags(recording)] == recorded
    assert "fusion_under_test: clouds_received 3" in node_err, node_err
