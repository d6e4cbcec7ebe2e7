"""docker-compose.yml's stock TF Serving agrees with the code (no Docker needed): tf-serving-sync runs
the real sync command into the volume tf-serving reads, the config path and base path line up, the
flags are tensorflow_model_server's, and one setting points the flow's scorer at it."""

from __future__ import annotations

import re
import subprocess
from pathlib import PurePosixPath
from urllib.parse import urlparse

from shot_platform.core.serving.tf_serving_config import CONFIG_FILE
from shot_platform.free_throws.flow.scorers import MODEL_NAME, SCORE_BEATER_URL_ENV
from shot_platform_tests.service.test_compose import (
    BIN,
    ROOT,
    command,
    dockerfile_instructions,
    environment,
    option,
    published_container_ports,
    services,  # noqa: F401 (fixture)
)

# tensorflow_model_server's flags this deployment relies on (tensorflow_serving/model_servers/main.cc).
MODEL_SERVER_FLAGS = {
    "port",
    "rest_api_port",
    "model_config_file",
    "model_config_file_poll_wait_seconds",
    "allow_version_labels_for_unavailable_models",
}


def flags(args: list[str]) -> dict[str, str]:
    """``--name=value`` arguments as a mapping."""
    found = {}
    for arg in args:
        assert arg.startswith("--") and "=" in arg, f"tensorflow_model_server takes --flag=value, got {arg!r}"
        name, value = arg[2:].split("=", 1)
        found[name] = value
    return found


def mount(service: dict, volume: str) -> PurePosixPath:
    """Where a service mounts a named volume."""
    targets = [entry.split(":")[1] for entry in service.get("volumes", []) if entry.split(":")[0] == volume]
    assert len(targets) == 1, f"{volume} should be mounted once, got {targets}"
    return PurePosixPath(targets[0])


def test_tf_serving_reads_the_config_the_sync_writes_on_the_same_volume(services: dict[str, dict]) -> None:  # noqa: F811
    sync, serving = services["tf-serving-sync"], services["tf-serving"]
    assert serving["image"].split(":")[0] == "tensorflow/serving"
    assert serving["entrypoint"] == ["tensorflow_model_server"]
    server = flags(command(serving))
    assert set(server) == MODEL_SERVER_FLAGS
    assert server["allow_version_labels_for_unavailable_models"] == "true"  # a new canary label may precede its load
    assert int(server["model_config_file_poll_wait_seconds"]) > 0  # re-read: a promotion needs no restart
    assert int(server["rest_api_port"]) in published_container_ports(serving)
    assert ":ro" in next(entry for entry in serving["volumes"] if entry.startswith("tf-serving-models:"))

    args = command(sync)
    assert args[:3] == ["python", "-m", "shot_platform.core.serving.tf_serving_sync"]
    assert option(args, "--model") == MODEL_NAME  # the sidecar syncs the registry TF Serving serves
    relative = PurePosixPath(option(args, "--sync-to")).relative_to(mount(sync, "tf-serving-models"))
    seen_by_serving = mount(serving, "tf-serving-models") / relative / MODEL_NAME
    assert PurePosixPath(server["model_config_file"]) == seen_by_serving / CONFIG_FILE
    assert PurePosixPath(option(args, "--base-path")) == seen_by_serving

    url = urlparse(option(args, "--tf-serving-url"))
    assert url.hostname == "tf-serving" and url.port == int(server["rest_api_port"])
    assert float(option(args, "--every")) > 0


def test_sync_runs_the_platform_image_with_the_model_store_settings(services: dict[str, dict]) -> None:  # noqa: F811
    sync = services["tf-serving-sync"]
    assert sync["image"] == services["prediction-service"]["image"]
    assert environment(sync) == environment(services["prediction-service"])  # the same S3 model store
    assert sync["depends_on"]["minio-create-bucket"]["condition"] == "service_completed_successfully"
    # The image's user can write the volume only where the image made a directory it owns.
    home = next(
        re.search(r"SHOT_PLATFORM_HOME=(\S+)", arguments).group(1)
        for instruction, arguments in dockerfile_instructions()
        if instruction == "ENV" and "SHOT_PLATFORM_HOME=" in arguments
    )
    assert mount(sync, "tf-serving-models") == PurePosixPath(home)

    args = command(sync)
    output = subprocess.run(
        [str(BIN / "python"), *args[1:3], "--help"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    for flag in (word for word in args if word.startswith("--")):
        assert re.search(rf"(^|[\s,]){re.escape(flag)}([\s,=]|$)", output, re.MULTILINE), f"sync has no {flag}"


def test_one_setting_points_the_flow_at_tf_serving(services: dict[str, dict]) -> None:  # noqa: F811
    for name in ("code-location", "dagster-daemon"):
        assert environment(services[name])[SCORE_BEATER_URL_ENV] == "", "in-process scoring stays the default"
    documented = re.findall(rf"{SCORE_BEATER_URL_ENV}=(\S+)", (ROOT / "deploy" / "README.md").read_text())
    rest_port = flags(command(services["tf-serving"]))["rest_api_port"]
    assert f"http://tf-serving:{rest_port}" in documented
