"""Entry point for ``bentoml serve`` / ``bentoml build`` run from this folder.

The service itself lives in the package (``shot_platform.serving.service``) so
that ``shot-platform serve`` works from an installed wheel too.
"""

from shot_platform.serving.service import ShotService

__all__ = ["ShotService"]
