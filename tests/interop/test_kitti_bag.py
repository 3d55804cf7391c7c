"""A KITTI frame converted by edgefusion, read back by rosbags and mcap-ros2-support: same
topics, types and counts, and every field equal to what the KITTI files themselves say."""

import json

import numpy as np
import pytest
from mcap.reader import make_reader
from PIL import Image
from ruamel.yaml import YAML

from conftest import edgefusion, plain, read_mcap_ros2, read_rosbags

STORAGES = [("mcap", "zstd"), ("mcap", "lz4"), ("mcap", "none"), ("sqlite3", "none")]
TOPICS = {
    "/sensing/lidar/points": "sensor_msgs/msg/PointCloud2",
    "/sensing/camera/front/image_raw": "sensor_msgs/msg/Image",
    "/sensing/camera/front/camera_info": "sensor_msgs/msg/CameraInfo",
    "/tf_static": "tf2_msgs/msg/TFMessage",
    "/perception/ground_truth": "edgefusion_msgs/msg/DetectedObjectArray",
}


def kitti_calib(path):
    """KITTI calib.txt, parsed here independently of our Rust parser."""
    mats = {}
    for line in path.read_text().splitlines():
        if ":" in line:
            key, numbers = line.split(":", 1)
            mats[key.strip()] = np.array([float(v) for v in numbers.split()])
    pad = lambda m: np.vstack([np.hstack([m, np.zeros((m.shape[0], 4 - m.shape[1]))]), [0, 0, 0, 1]])
    return {
        "P2": mats["P2"].reshape(3, 4),
        "R0": pad(mats["R0_rect"].reshape(3, 3)),
        "Tr_velo_to_cam": pad(mats["Tr_velo_to_cam"].reshape(3, 4)),
        "Tr_imu_to_velo": pad(mats["Tr_imu_to_velo"].reshape(3, 4)),
    }


def quat_to_matrix(q):
    x, y, z, w = q["x"], q["y"], q["z"], q["w"]
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def transform_matrix(t):
    m = np.eye(4)
    m[:3, :3] = quat_to_matrix(t["rotation"])
    m[:3, 3] = [t["translation"][k] for k in "xyz"]
    return m


def convert(fixtures, tmp_path_factory, storage, compression):
    out = tmp_path_factory.mktemp("bags") / f"kitti_{storage}_{compression}"
    edgefusion("bag", "convert", "kitti", fixtures / "kitti/000008", "-o", out,
               "--storage", storage, "--compression", compression)
    return out, storage


@pytest.fixture(scope="module", params=STORAGES, ids=lambda p: "-".join(p))
def kitti_bag(request, fixtures, tmp_path_factory):
    return convert(fixtures, tmp_path_factory, *request.param)


@pytest.fixture(scope="module", params=[s for s in STORAGES if s[0] == "mcap"], ids=lambda p: "-".join(p))
def kitti_mcap_bag(request, fixtures, tmp_path_factory):
    return convert(fixtures, tmp_path_factory, *request.param)


def test_topics_types_and_counts(kitti_bag):
    path, _ = kitti_bag
    messages = read_rosbags(path)
    assert {(t, ty) for t, ty, *_ in messages} == set(TOPICS.items())
    assert sorted(t for t, *_ in messages) == sorted(TOPICS)  # one of each for one frame


def test_field_values_equal_the_kitti_files(kitti_bag, fixtures):
    path, _ = kitti_bag
    frame = fixtures / "kitti/000008"
    msgs = {topic: plain(msg) for topic, _, _, msg, _ in read_rosbags(path)}

    cloud = msgs["/sensing/lidar/points"]
    assert [f["name"] for f in cloud["fields"]] == ["x", "y", "z", "intensity"]
    assert [f["offset"] for f in cloud["fields"]] == [0, 4, 8, 12]
    assert cloud["point_step"] == 16 and cloud["height"] == 1 and cloud["width"] == 17238
    assert cloud["header"]["frame_id"] == "lidar_top"
    assert bytes(cloud["data"]) == (frame / "lidar.bin").read_bytes()

    image = msgs["/sensing/camera/front/image_raw"]
    pixels = np.asarray(Image.open(frame / "image.png").convert("RGB"))
    assert (image["width"], image["height"], image["encoding"], image["step"]) == (1242, 375, "rgb8", 3726)
    assert bytes(image["data"]) == pixels.tobytes()

    calib = kitti_calib(frame / "calib.txt")
    info = msgs["/sensing/camera/front/camera_info"]
    assert np.allclose(np.reshape(info["p"], (3, 4)), calib["P2"], rtol=0, atol=1e-9)
    assert np.allclose(np.reshape(info["k"], (3, 3)), calib["P2"][:, :3], rtol=0, atol=1e-9)
    assert info["header"]["frame_id"] == "camera_front_optical"

    tfs = {(t["header"]["frame_id"], t["child_frame_id"]): transform_matrix(t["transform"])
           for t in msgs["/tf_static"]["transforms"]}
    lidar_to_cam = calib["R0"] @ calib["Tr_velo_to_cam"]  # maps lidar points into the camera
    # TF gives the child's pose in the parent: the inverse of the point mapping. KITTI's
    # matrices are orthonormal to ~1e-6, so the fitted rotation agrees to that order.
    assert np.allclose(tfs[("lidar_top", "camera_front_optical")], np.linalg.inv(lidar_to_cam), atol=2e-5)
    assert np.allclose(tfs[("base_link", "lidar_top")], np.linalg.inv(calib["Tr_imu_to_velo"]), atol=2e-5)

    # Ground truth: KITTI label boxes (camera frame, bottom centre) moved into the lidar frame.
    truth = msgs["/perception/ground_truth"]
    assert truth["header"]["frame_id"] == "lidar_top"
    labels = [line.split() for line in (frame / "label.txt").read_text().splitlines() if line.strip()]
    cars = [row for row in labels if row[0] != "DontCare"]
    assert [o["label"] for o in truth["objects"]] == [row[0] for row in cars]
    cam_to_lidar = np.linalg.inv(lidar_to_cam)
    for obj, row in zip(truth["objects"], cars):
        h, w, l, x, y, z, ry = map(float, row[8:15])
        centre = cam_to_lidar @ np.array([x, y - h / 2, z, 1.0])
        got = np.array([obj["center"][k] for k in "xyz"])
        assert np.allclose(got, centre[:3], atol=1e-6), (row, got, centre)
        assert np.allclose([obj["size"][k] for k in "xyz"], [l, w, h])
        assert obj["image_box"] == pytest.approx([float(v) for v in row[4:8]], abs=1e-4)


def test_mcap_ros2_support_decodes_the_same_values(kitti_mcap_bag):
    path, _ = kitti_mcap_bag
    ours = read_rosbags(path)
    theirs = read_mcap_ros2(path)
    assert [(t, ty, ts) for t, ty, ts, *_ in ours] == [(t, ty, ts) for t, ty, ts, *_ in theirs]
    for (topic, _, _, a, raw_a), (_, _, _, b, raw_b) in zip(ours, theirs):
        assert raw_a == raw_b
        assert plain(a) == plain(b), topic


def test_bag_info_agrees_with_rosbags(kitti_bag):
    import json
    from rosbags.highlevel import AnyReader

    path, storage = kitti_bag
    info = json.loads(edgefusion("bag", "info", path, "--json").stdout)
    with AnyReader([path]) as reader:
        assert info["message_count"] == reader.message_count
        assert info["start_ns"] == reader.start_time
        # rosbags' end_time is one past the last message.
        assert info["end_ns"] == reader.end_time - 1
        counts = {c.topic: c.msgcount for c in reader.connections}
    assert {t["name"]: t["count"] for t in info["topics"]} == counts
    assert info["storage"] == storage


def test_type_hashes_equal_ros2_kilted(kitti_bag, ros_prefix):
    """The RIHS01 type hash each topic is declared with (metadata.yaml, and MCAP channel metadata)
    equals the hash in ROS 2 Kilted's own type description files. tf2_msgs is not on PyPI and
    our own package is not published, so three of the five topics have a reference."""
    path, storage = kitti_bag
    metadata = YAML(typ="safe").load((path / "metadata.yaml").read_text())
    declared = {t["topic_metadata"]["name"]: t["topic_metadata"]["type_description_hash"]
                for t in metadata["rosbag2_bagfile_information"]["topics_with_message_count"]}
    if storage == "mcap":
        with open(next(path.glob("*.mcap")), "rb") as f:
            channels = make_reader(f).get_summary().channels.values()
        assert {c.topic: c.metadata["topic_type_hash"] for c in channels} == declared
    checked = 0
    for topic, type_name in TOPICS.items():
        package, _, short = type_name.split("/")
        published = ros_prefix / "share" / package / "msg" / f"{short}.json"
        if published.exists():
            expected = json.loads(published.read_text())["type_hashes"][0]["hash_string"]
            assert declared[topic] == expected, topic
            checked += 1
    assert checked == 3
