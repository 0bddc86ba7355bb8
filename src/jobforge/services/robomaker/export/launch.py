"""Launch files of the exported worlds package: ROS 1 (roslaunch XML) and ROS 2 (Python).

Both take the world id (``world_id`` argument, else the ``WORLD_ID`` environment variable, else the
first exported world) and start Gazebo through gazebo_ros with that world's ``.world`` file.
"""

from __future__ import annotations

WORLDS_PACKAGE = "aws_robomaker_worldforge_worlds"


def ros1_launch(default_world: str) -> str:
    return f"""<?xml version="1.0"?>
<!-- Launch an exported WorldForge world in Gazebo:
     roslaunch {WORLDS_PACKAGE} launch_world.launch world_id:=<worldId> gui:=true
     (or set WORLD_ID). -->
<launch>
  <arg name="world_id" default="$(optenv WORLD_ID {default_world})"/>
  <arg name="gui" default="false"/>
  <arg name="paused" default="false"/>
  <arg name="use_sim_time" default="true"/>
  <include file="$(find gazebo_ros)/launch/empty_world.launch">
    <arg name="world_name" value="$(find {WORLDS_PACKAGE})/worlds/$(arg world_id)/$(arg world_id).world"/>
    <arg name="gui" value="$(arg gui)"/>
    <arg name="paused" value="$(arg paused)"/>
    <arg name="use_sim_time" value="$(arg use_sim_time)"/>
  </include>
</launch>
"""


def ros2_launch(default_world: str) -> str:
    return f'''"""Launch an exported WorldForge world in Gazebo:

    ros2 launch {WORLDS_PACKAGE} launch_world.py world_id:=<worldId> gui:=true

(or set WORLD_ID).
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import EnvironmentVariable, LaunchConfiguration, PathJoinSubstitution

DEFAULT_WORLD = "{default_world}"


def generate_launch_description():
    share = get_package_share_directory("{WORLDS_PACKAGE}")
    world_id = LaunchConfiguration("world_id")
    world = PathJoinSubstitution([share, "worlds", world_id, [world_id, ".world"]])
    gazebo = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(
            os.path.join(get_package_share_directory("gazebo_ros"), "launch", "gazebo.launch.py")
        ),
        launch_arguments={{"world": world, "gui": LaunchConfiguration("gui")}}.items(),
    )
    return LaunchDescription(
        [
            DeclareLaunchArgument(
                "world_id", default_value=EnvironmentVariable("WORLD_ID", default_value=DEFAULT_WORLD)
            ),
            DeclareLaunchArgument("gui", default_value="false"),
            gazebo,
        ]
    )
'''
