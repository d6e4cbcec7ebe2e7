"""Entry point for ``bentoml serve`` / ``bentoml build`` run from this folder.

The service itself lives in the package (``shot_platform.service``) so
that ``shot-platform serve`` works from an installed wheel too.
"""

from shot_platform.service import PlatformService

__all__ = ["PlatformService"]
