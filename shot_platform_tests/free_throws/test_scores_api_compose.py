"""docker-compose.yml's Scores API replay service agrees with the code: command, port, data volume,
health probe, and the platform's SHOT_PLATFORM_SCORES_API_URL/KEY pointing at it (no Docker needed)."""

from __future__ import annotations

import re
import subprocess
from pathlib import PurePosixPath
from urllib.parse import urlparse

from shot_platform.free_throws.scores_api.client import KEY_ENV, URL_ENV
from shot_platform_tests.service.test_compose import (
    BIN,
    PYTHON_SERVICES,
    command,
    environment,
    option,
    published_container_ports,
    services,  # noqa: F401 (fixture)
)


def test_replay_service_runs_the_real_command_on_its_published_port(services: dict[str, dict]) -> None:  # noqa: F811
    replay = services["scores-api"]
    assert replay["image"] == services["prediction-service"]["image"]
    args = command(replay)
    assert args[:3] == ["shot-platform", "scores-api", "serve"]
    assert option(args, "--host") == "0.0.0.0"
    port = int(option(args, "--port"))
    assert port == 5100 and port in published_container_ports(replay)
    probe = " ".join(replay["healthcheck"]["test"])
    assert f":{port}/livez" in probe

    output = subprocess.run(
        [str(BIN / "shot-platform"), "scores-api", "serve", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for flag in (word for word in args if word.startswith("--")):
        assert re.search(rf"(^|[\s,]){re.escape(flag)}([\s,=]|$)", output, re.MULTILINE), f"serve has no {flag}"
    assert KEY_ENV in output  # --api-key falls back to the variable compose sets


def test_data_file_is_inside_a_read_only_volume(services: dict[str, dict]) -> None:  # noqa: F811
    replay = services["scores-api"]
    data = PurePosixPath(option(command(replay), "--data"))
    mounts = [str(volume).split(":") for volume in replay["volumes"]]
    assert any(data.is_relative_to(target) and mode == "ro" for _, target, mode in mounts), mounts


def test_platform_services_point_at_the_replay_server_with_its_key(services: dict[str, dict]) -> None:  # noqa: F811
    replay = services["scores-api"]
    server_key = environment(replay)[KEY_ENV]
    assert server_key
    for name in PYTHON_SERVICES:
        env = environment(services[name])
        url = urlparse(env[URL_ENV])
        assert (url.scheme, url.hostname, url.port) == ("http", "scores-api", int(option(command(replay), "--port")))
        assert env[KEY_ENV] == server_key, name
