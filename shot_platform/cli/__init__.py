"""The ``shot-platform`` command line."""

from shot_platform.cli.main import cli

__all__ = ["cli"]
