"""``shot-platform serve``: the BentoML prediction service."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

from shot_platform.cli.main import fail
from shot_platform.core.settings import BENTOML_HOME_ENV, POLL_ENV, Settings, child_environment

SERVICE = "shot_platform.service:PlatformService"


@click.command("serve")
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--poll-seconds", default=None, type=float, help="how often to look for a new champion (default 5)")
def serve(host: str, port: int, poll_seconds: float | None) -> None:
    """Serve every domain's endpoints with its champion models (same as `bentoml serve` in bento/).

    A newly promoted model is picked up without a restart. Once it runs, GET /docs.json lists every
    route (each domain's prediction routes, /readyz, /livez, /metrics); docs/serving.md describes them.
    """
    bentoml = shutil.which("bentoml", path=str(Path(sys.executable).parent)) or shutil.which("bentoml")
    if bentoml is None:
        fail("the bentoml command is not installed in this environment; run `make install`")
    settings = Settings.from_env()
    # The service reads its settings from the environment it is given (it runs in BentoML's worker).
    overrides = {POLL_ENV: str(poll_seconds)} if poll_seconds is not None else {}
    if settings.bentoml_home is None:
        # `bentoml serve` empties $BENTOML_HOME/prometheus_multiproc_dir when it starts: a second
        # service on the machine with the same home would wipe this one's metrics (seen in tests).
        overrides[BENTOML_HOME_ENV] = str(settings.home / "bentoml" / f"serve-{port}")
    command = [bentoml, "serve", SERVICE, "--host", host, "--port", str(port)]
    os.execve(bentoml, command, child_environment(overrides=overrides))
