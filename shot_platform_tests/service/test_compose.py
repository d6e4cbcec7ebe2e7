"""The docker-compose deployment agrees with the code: services, ports, environment, workspace, commands.

No Docker engine is needed: the compose file, the Dockerfile and the workspace are read as data, the
settings are resolved with the compose environment, and each Python service's command runs with
``--help`` from this virtual environment.
"""

from __future__ import annotations

import ast
import itertools
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from sqlalchemy.engine import make_url

from shot_platform.core.settings import DATABASE_URL_ENV, MODEL_STORE_ENV, S3_ENDPOINT_ENV, Settings
from shot_platform.shots.settings import API_KEY_ENV, ShotSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKER_WORKSPACE = ROOT / "deploy" / "workspace.docker.yaml"
DAGSTER_YAML = ROOT / "dagster.yaml"
BIN = Path(sys.executable).parent

DAGSTER_SERVICES = ("code-location", "dagster-webserver", "dagster-daemon")
PYTHON_SERVICES = (*DAGSTER_SERVICES, "prediction-service")
REQUIRED_SERVICES = ("postgres", "minio", "minio-create-bucket", *PYTHON_SERVICES)
# Read by libraries rather than by shot_platform's own code.
LIBRARY_VARIABLES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION", "DAGSTER_HOME"}
# What the production stack cannot run without (PostgreSQL store, S3 model store, authenticated API).
REQUIRED_SETTINGS = {
    DATABASE_URL_ENV,
    MODEL_STORE_ENV,
    S3_ENDPOINT_ENV,
    API_KEY_ENV,
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
}
_INTERPOLATION = re.compile(r"\$\$|\$\{(\w+)(?::?-([^}]*))?\}")


def interpolate(value: Any) -> Any:
    """Resolve compose ``${VAR:-default}`` with an empty environment (the defaults); ``$$`` is ``$``."""
    if isinstance(value, dict):
        return {key: interpolate(item) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item) for item in value]
    if not isinstance(value, str):
        return value

    def resolve(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        if match.group(2) is None:
            raise AssertionError(f"${{{match.group(1)}}} has no default: `docker compose up` would use ''")
        return match.group(2)

    return _INTERPOLATION.sub(resolve, value)


def environment(service: dict) -> dict[str, str]:
    """A service's environment as a mapping (compose allows a mapping or a KEY=VALUE list)."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def command(service: dict) -> list[str]:
    """A service's command as an argument list."""
    cmd = service["command"]
    return shlex.split(cmd) if isinstance(cmd, str) else [str(part) for part in cmd]


def option(args: list[str], *names: str) -> str:
    """The value following the first of ``names`` in ``args``."""
    for name in names:
        if name in args:
            return args[args.index(name) + 1]
    raise AssertionError(f"none of {names} in {args}")


def published_container_ports(service: dict) -> set[int]:
    """Container ports a service publishes on the host (short syntax "HOST:CONTAINER" or long syntax)."""
    ports = set()
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            ports.add(int(entry["target"]))
        else:
            ports.add(int(str(entry).split("/")[0].rsplit(":", 1)[-1]))
    return ports


def env_names_in(node: Any) -> set[str]:
    """Every ``env: NAME`` entry of a Dagster instance config."""
    if isinstance(node, dict):
        found = {node["env"]} if isinstance(node.get("env"), str) else set()
        return found.union(*(env_names_in(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(env_names_in(item) for item in node))
    return set()


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    lines = [line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [
        (parts[0].upper(), parts[1] if len(parts) > 1 else "")
        for parts in (line.strip().split(None, 1) for line in joined.splitlines())
        if parts
    ]


@pytest.fixture(scope="module")
def services() -> dict[str, dict]:
    return interpolate(yaml.safe_load(COMPOSE_FILE.read_text()))["services"]


@pytest.fixture(scope="module")
def code_variables() -> set[str]:
    """SHOT_PLATFORM_* names written as string literals in the package, and dagster.yaml's ``env:`` names."""
    names = env_names_in(yaml.safe_load(DAGSTER_YAML.read_text()))
    for path in (ROOT / "shot_platform").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.fullmatch(r"SHOT_PLATFORM_[A-Z0-9_]+", node.value)
            ):
                names.add(node.value)
    return names


@pytest.fixture(scope="module")
def created_bucket(services: dict[str, dict]) -> str:
    """The bucket the one-shot ``minio-create-bucket`` service creates."""
    script = " ".join(command(services["minio-create-bucket"]))
    match = re.search(r"\bmc mb\b[^&;|]*?\s\w+/([a-z0-9][a-z0-9.-]+)", script)
    assert match, f"no `mc mb ALIAS/BUCKET` in {script!r}"
    return match.group(1)


def test_required_services_exist_and_share_one_image(services: dict[str, dict]) -> None:
    assert set(REQUIRED_SERVICES) <= set(services), f"missing: {set(REQUIRED_SERVICES) - set(services)}"
    images = {services[name]["image"] for name in PYTHON_SERVICES}
    assert len(images) == 1, f"the Python services should run one image, got {images}"
    for name in PYTHON_SERVICES:
        build = services[name]["build"]
        context = ROOT / (build if isinstance(build, str) else build.get("context", "."))
        dockerfile = build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile"
        assert (context / dockerfile).resolve() == DOCKERFILE.resolve()
    assert services["postgres"]["image"].split(":")[0] == "postgres"
    assert services["minio"]["image"].split(":")[0].endswith("minio/minio")
    assert services["minio-create-bucket"]["image"].split(":")[0].endswith("minio/mc")


def test_published_ports_match_the_commands(services: dict[str, dict]) -> None:
    webserver, service = services["dagster-webserver"], services["prediction-service"]
    assert 3000 in published_container_ports(webserver)
    assert option(command(webserver), "-p", "--port") == "3000"
    assert 5000 in published_container_ports(service)
    assert option(command(service), "--port", "-p") == "5000"
    assert {9000, 9001} <= published_container_ports(services["minio"])
    for name in ("code-location", "dagster-webserver", "prediction-service"):
        assert option(command(services[name]), "-h", "--host") == "0.0.0.0", f"{name} must listen on all interfaces"


def test_every_compose_variable_is_read_by_the_code(services: dict[str, dict], code_variables: set[str]) -> None:
    known = code_variables | LIBRARY_VARIABLES
    for name in PYTHON_SERVICES:
        unknown = set(environment(services[name])) - known
        assert not unknown, f"{name} sets variables no code reads: {sorted(unknown)}"


def test_every_required_setting_is_set(services: dict[str, dict], code_variables: set[str]) -> None:
    assert code_variables >= REQUIRED_SETTINGS - LIBRARY_VARIABLES, "a required setting is no longer read by the code"
    for name in PYTHON_SERVICES:
        env = environment(services[name])
        missing = {variable for variable in REQUIRED_SETTINGS if not env.get(variable)}
        assert not missing, f"{name} lacks {sorted(missing)}"


def test_dagster_services_get_the_instance_storage_settings(services: dict[str, dict]) -> None:
    wanted = env_names_in(yaml.safe_load(DAGSTER_YAML.read_text()))
    assert {"DAGSTER_PG_HOST", "DAGSTER_PG_DB"} <= wanted
    postgres = environment(services["postgres"])
    for name in DAGSTER_SERVICES:
        env = environment(services[name])
        assert wanted <= set(env), f"{name} lacks {sorted(wanted - set(env))}"
        assert env["DAGSTER_PG_HOST"] == "postgres"
        assert env["DAGSTER_PG_PORT"] == "5432"
        assert env["DAGSTER_PG_USER"] == postgres["POSTGRES_USER"]
        assert env["DAGSTER_PG_PASSWORD"] == postgres["POSTGRES_PASSWORD"]
        assert env["DAGSTER_PG_DB"] == postgres["POSTGRES_DB"]


def test_image_has_the_instance_config_in_dagster_home() -> None:
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    env: dict[str, str] = {}
    for instruction, arguments in instructions:
        if instruction == "ENV":
            env.update(token.split("=", 1) for token in shlex.split(arguments))
    copies = [shlex.split(arguments) for instruction, arguments in instructions if instruction == "COPY"]
    assert ["dagster.yaml", "${DAGSTER_HOME}/dagster.yaml"] in copies
    assert env["DAGSTER_HOME"] == "/opt/dagster/dagster_home"
    users = [arguments for instruction, arguments in instructions if instruction == "USER"]
    assert users and users[-1] not in ("root", "0"), "the image must not run as root"


def test_settings_from_compose_environment(
    services: dict[str, dict], code_variables: set[str], created_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shot_platform.shots.models.registry import shot_models_at

    postgres, minio = environment(services["postgres"]), environment(services["minio"])
    for name in PYTHON_SERVICES:
        for variable in code_variables | LIBRARY_VARIABLES:
            monkeypatch.delenv(variable, raising=False)
        for variable, value in environment(services[name]).items():
            monkeypatch.setenv(variable, value)
        settings = Settings.from_env()

        url = make_url(settings.database_url)
        assert (url.get_backend_name(), url.get_driver_name()) == ("postgresql", "psycopg2")
        assert url.host == "postgres" and (url.port or 5432) == 5432
        assert (url.username, url.password, url.database) == (
            postgres["POSTGRES_USER"],
            postgres["POSTGRES_PASSWORD"],
            postgres["POSTGRES_DB"],
        )

        store = urlparse(settings.model_store)
        assert store.scheme == "s3", f"{name}: model store {settings.model_store!r} is not on S3"
        assert store.netloc == created_bucket, (
            f"{name} uses bucket {store.netloc!r}, compose creates {created_bucket!r}"
        )
        assert shot_models_at(settings.model_store, settings.s3_endpoint_url).blobs.describe() == settings.model_store

        endpoint = urlparse(settings.s3_endpoint_url)
        assert endpoint.hostname == "minio" and endpoint.port in published_container_ports(services["minio"])
        assert os.environ["AWS_ACCESS_KEY_ID"] == minio["MINIO_ROOT_USER"]
        assert os.environ["AWS_SECRET_ACCESS_KEY"] == minio["MINIO_ROOT_PASSWORD"]
        shots = ShotSettings.from_env()
        assert shots.api_key
        assert shots.retrain_min_new_shots > 0


def test_bucket_is_created_on_the_same_minio_with_its_credentials(
    services: dict[str, dict], created_bucket: str
) -> None:
    script = " ".join(command(services["minio-create-bucket"]))
    alias = re.search(r"\bmc alias set (\w+) (\S+)", script)
    assert alias, script
    assert f"{alias.group(1)}/{created_bucket}" in script
    assert alias.group(2) == environment(services["prediction-service"])[S3_ENDPOINT_ENV]
    creator, minio = environment(services["minio-create-bucket"]), environment(services["minio"])
    assert {key: creator[key] for key in ("MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD")} == minio


def test_depends_on_waits_for_health_and_the_bucket(services: dict[str, dict]) -> None:
    for name, service in services.items():
        for target, spec in (service.get("depends_on") or {}).items():
            condition = spec["condition"]
            assert condition in {"service_started", "service_healthy", "service_completed_successfully"}
            if condition == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits for {target}, which has no healthcheck"
    for name in PYTHON_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
    for name in ("code-location", "prediction-service"):
        assert services[name]["depends_on"]["minio-create-bucket"]["condition"] == "service_completed_successfully"
    for name in ("dagster-webserver", "dagster-daemon"):
        assert services[name]["depends_on"]["code-location"]["condition"] == "service_healthy"
    probe = " ".join(services["prediction-service"]["healthcheck"]["test"])
    assert "/livez" in probe and ":5000" in probe, "the service is healthy before it has a model: probe /livez"


def test_workspace_points_at_the_code_location(services: dict[str, dict]) -> None:
    (entry,) = yaml.safe_load(DOCKER_WORKSPACE.read_text())["load_from"]
    server = entry["grpc_server"]
    code_location = command(services["code-location"])
    assert server["host"] == "code-location"
    assert str(server["port"]) == option(code_location, "-p", "--port")
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'code_location_name = "{server["location_name"]}"' in pyproject
    assert f'module_name = "{option(code_location, "-m", "--module-name")}"' in pyproject

    # The webserver and the daemon read that file at the path the image puts it.
    instructions = dockerfile_instructions()
    workdir = PurePosixPath([arguments for instruction, arguments in instructions if instruction == "WORKDIR"][-1])
    copied = {
        str(workdir / parts[-1]) if not parts[-1].startswith("/") else parts[-1]
        for parts in (shlex.split(arguments) for instruction, arguments in instructions if instruction == "COPY")
        if parts[0] == "deploy/workspace.docker.yaml"
    }
    for name in ("dagster-webserver", "dagster-daemon"):
        path = option(command(services[name]), "-w", "--workspace")
        assert str(PurePosixPath(path)) in {str(PurePosixPath(p)) for p in copied}, f"{name}: {path} not in image"


def test_store_tables_do_not_collide_with_dagster_tables(services: dict[str, dict]) -> None:
    """Dagster's instance and the store may share a database only if no relation name is used by both."""
    from dagster._core.storage.event_log.schema import SqlEventLogStorageMetadata
    from dagster._core.storage.runs.schema import RunStorageSqlMetadata
    from dagster._core.storage.schedules.schema import ScheduleStorageSqlMetadata

    from shot_platform.shots.store.tables import metadata

    def relations(meta: Any) -> set[str]:
        names = set(meta.tables)
        for table in meta.tables.values():
            names |= {index.name for index in table.indexes if index.name}
            names |= {constraint.name for constraint in table.constraints if isinstance(constraint.name, str)}
        return names

    env = environment(services["code-location"])
    if make_url(env[DATABASE_URL_ENV]).database != env["DAGSTER_PG_DB"]:
        pytest.skip("the store and the Dagster instance use separate databases")
    dagster = {"alembic_version"}
    for meta in (RunStorageSqlMetadata, SqlEventLogStorageMetadata, ScheduleStorageSqlMetadata):
        dagster |= relations(meta)
    assert not relations(metadata) & dagster


def test_service_commands_are_real(services: dict[str, dict]) -> None:
    """Each Python service's command (and CMD healthcheck) exists here with the options compose passes,
    and the code location's module imports with the compose environment."""
    commands = []
    for name in PYTHON_SERVICES:
        commands.append(command(services[name]))
        probe = services[name]["healthcheck"]["test"]
        assert probe[0] == "CMD", f"{name}: exec-form healthcheck expected"
        if probe[1] == "python":
            compile(option(probe, "-c"), f"{name} healthcheck", "exec")
        else:
            commands.append(probe[1:])

    module = option(command(services["code-location"]), "-m", "--module-name")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SHOT_PLATFORM_", "DAGSTER_"))}
    env.update(environment(services["code-location"]))
    importer = subprocess.Popen(
        [sys.executable, "-c", f"import importlib; assert importlib.import_module({module!r}).defs"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    helps = []
    for args in commands:
        verb = list(itertools.takewhile(lambda word: not word.startswith("-"), args))
        executable = BIN / verb[0]
        assert executable.exists(), f"{verb[0]} is not installed in {BIN}"
        process = subprocess.Popen(
            [str(executable), *verb[1:], "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        helps.append((args, verb, process))

    for args, verb, process in helps:
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0, f"{' '.join(verb)} --help failed:\n{output}"
        for flag in (word for word in args if word.startswith("-")):
            assert re.search(rf"(^|[\s,]){re.escape(flag)}([\s,=]|$)", output, re.MULTILINE), (
                f"{' '.join(verb)} has no option {flag}"
            )
    output, _ = importer.communicate(timeout=120)
    assert importer.returncode == 0, f"{module} does not import with the compose environment:\n{output}"
