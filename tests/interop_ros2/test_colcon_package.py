"""The ROS 2 package `edgefusion` (nodes/package.xml, nodes/CMakeLists.txt): colcon builds it
into an ament prefix where `ros2 run edgefusion edgefusion_fusion` and
`ros2 launch edgefusion vehicle.launch.xml` would find the executables and launch files (ros2cli
and launch are not on PyPI for Kilted, so the test checks what they look up, and runs the
installed executable itself)."""

import os
import pathlib
import subprocess

from conftest import BIN, ROOT, stop, wait_for


def test_colcon_installs_executables_launch_and_parameter_files(peer, tmp_path):
    base = tmp_path / "ws"
    colcon = pathlib.Path(os.environ["EDGEFUSION_ROS_PYTHON"]).parent / "colcon"
    build = subprocess.run(
        [str(colcon), "--log-base", str(base / "log"), "build", "--base-paths", str(ROOT / "nodes"),
         "--build-base", str(base / "build"), "--install-base", str(base / "install"),
         # The same cargo build as scripts/setup's, so the tree it made is reused.
         "--cmake-args", "-DEDGEFUSION_CARGO_TARGETS=--workspace;--all-targets",
         "--event-handlers", "console_cohesion+"],
        capture_output=True, text=True, timeout=1800)
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    prefix = base / "install" / "edgefusion"
    # What ament_index / ros2 run / ros2 launch look up.
    assert (prefix / "share/ament_index/resource_index/packages/edgefusion").is_file()
    assert (prefix / "share/edgefusion/package.xml").is_file()
    executables = subprocess.run([str(BIN), "nodes", "--executables"], capture_output=True, text=True,
                                 check=True).stdout.split()
    assert "edgefusion_fusion" in executables
    for exe in executables:
        path = prefix / "lib/edgefusion" / exe
        assert os.access(path, os.X_OK), path
        assert path.resolve() == (prefix / "lib/edgefusion/edgefusion").resolve()
    for launch in ["vehicle.launch.xml", "vehicle.launch.py", "carla.launch.xml"]:
        assert (prefix / "share/edgefusion/launch" / launch).read_bytes() == (ROOT / "launch" / launch).read_bytes()
    for params in (ROOT / "calib/params").glob("*.yaml"):
        assert (prefix / "share/edgefusion/calib/params" / params.name).is_file()
    assert (prefix / "share/edgefusion/calib/dds/fastdds.xml").is_file()

    # The installed executable is the fusion node, named and renamed by ROS arguments.
    node = subprocess.Popen([str(prefix / "lib/edgefusion/edgefusion_fusion"), "--ros-args", "-r",
                             "__node:=installed_fusion", "-r", "__ns:=/colcon_test"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: ("installed_fusion", "/colcon_test") in peer.node.get_node_names_and_namespaces(),
                 60, "the installed fusion node on the ROS graph")
    finally:
        code, err = stop(node)
    assert code == 0, err
