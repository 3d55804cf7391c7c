"""The on-vehicle stack for Python launch: the same arguments, nodes, parameters and remaps as
vehicle.launch.xml (runtime/launch/tests/launch_py.rs checks that both agree).

    ros2 launch edgefusion vehicle.launch.py use_sim_time:=true

Written out flat (no helpers or loops) so that it reads like the XML and a static check of
its syntax tree can see every node.
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, GroupAction
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node, SetRemap
from launch_ros.substitutions import FindPackageShare


def generate_launch_description():
    return LaunchDescription([
        DeclareLaunchArgument(
            'use_sim_time', default_value='false',
            description='Use /clock (simulation or bag time) instead of the system clock'),
        DeclareLaunchArgument(
            'namespace', default_value='', description='Namespace of every node (empty: root)'),
        DeclareLaunchArgument(
            'model_path', default_value='target/models/fusion_int8.pt',
            description='TorchScript model of the fusion node'),
        DeclareLaunchArgument(
            'lidar_topic', default_value='/sensing/lidar/points',
            description='sensor_msgs/PointCloud2 input'),
        DeclareLaunchArgument(
            'image_topic', default_value='/sensing/camera/front/image_raw',
            description='sensor_msgs/Image input'),
        DeclareLaunchArgument(
            'compressed_image_topic', default_value='/sensing/camera/front/image_raw/compressed',
            description='sensor_msgs/CompressedImage input (JPEG, PNG)'),
        DeclareLaunchArgument(
            'camera_info_topic', default_value='/sensing/camera/front/camera_info',
            description='sensor_msgs/CameraInfo input'),
        DeclareLaunchArgument(
            'odometry_topic', default_value='/localization/odometry',
            description='nav_msgs/Odometry input'),
        GroupAction([
            SetRemap(src='/sensing/lidar/points', dst=LaunchConfiguration('lidar_topic')),
            SetRemap(src='/sensing/camera/front/image_raw',
                     dst=LaunchConfiguration('image_topic')),
            SetRemap(src='/sensing/camera/front/image_raw/compressed',
                     dst=LaunchConfiguration('compressed_image_topic')),
            SetRemap(src='/sensing/camera/front/camera_info',
                     dst=LaunchConfiguration('camera_info_topic')),
            SetRemap(src='/localization/odometry', dst=LaunchConfiguration('odometry_topic')),
            Node(
                package='edgefusion',
                executable='edgefusion_camera',
                name='camera',
                namespace=LaunchConfiguration('namespace'),
                output='screen',
                parameters=[
                    PathJoinSubstitution(
                        [FindPackageShare('edgefusion'), 'calib', 'params', 'camera.yaml']),
                    {'use_sim_time': LaunchConfiguration('use_sim_time')},
                ],
            ),
            Node(
                package='edgefusion',
                executable='edgefusion_lidar',
                name='lidar',
                namespace=LaunchConfiguration('namespace'),
                output='screen',
                parameters=[
                    PathJoinSubstitution(
                        [FindPackageShare('edgefusion'), 'calib', 'params', 'lidar.yaml']),
                    {'use_sim_time': LaunchConfiguration('use_sim_time')},
                ],
            ),
            Node(
                package='edgefusion',
                executable='edgefusion_v2x',
                name='v2x',
                namespace=LaunchConfiguration('namespace'),
                output='screen',
                parameters=[
                    PathJoinSubstitution(
                        [FindPackageShare('edgefusion'), 'calib', 'params', 'v2x.yaml']),
                    {'use_sim_time': LaunchConfiguration('use_sim_time')},
                ],
            ),
            Node(
                package='edgefusion',
                executable='edgefusion_fusion',
                name='fusion',
                namespace=LaunchConfiguration('namespace'),
                output='screen',
                parameters=[
                    PathJoinSubstitution(
                        [FindPackageShare('edgefusion'), 'calib', 'params', 'fusion.yaml']),
                    {'use_sim_time': LaunchConfiguration('use_sim_time')},
                    {'model_path': LaunchConfiguration('model_path')},
                ],
            ),
        ]),
    ])
