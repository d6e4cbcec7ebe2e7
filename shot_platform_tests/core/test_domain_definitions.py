"""The code location is the registered domains' Definitions merged: each domain's loads alone with its
own resources, no resource key belongs to two domains, the root names no domain, thresholds show in
the UI, and ``dg check defs`` accepts the project."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import Definitions
from dagster._core.remote_representation.external_data import RepositorySnap
from dagster._serdes import serialize_value

from shot_platform.cli.materialize import parse_selection, refeed_assets, refeed_config
from shot_platform.core.domain import domains
from shot_platform.definitions import defs, domain_definitions

ROOT = Path(__file__).resolve().parents[2]
SHARED_FILES = ["shot_platform/definitions.py", "shot_platform/cli/materialize.py"]


def resource_keys(definitions: Definitions) -> set[str]:
    return set(definitions.resources or {})


@pytest.mark.parametrize("name", [domain.name for domain in domains()])
def test_each_domains_definitions_load_alone_with_their_own_resources(name: str):
    own = domain_definitions()[name]
    # validate_loadable resolves every asset, check, job, sensor and schedule against the domain's own
    # resources: an asset or sensor that needs a key only another domain binds fails here.
    Definitions.validate_loadable(own)
    groups = {node.group_name for node in own.resolve_asset_graph().asset_nodes}
    assert groups == {name}, f"the assets of {name} are in the groups {groups}"


def test_no_resource_key_is_bound_by_two_domains():
    by_domain = {name: resource_keys(definitions) for name, definitions in domain_definitions().items()}
    assert len(by_domain) >= 2
    seen: dict[str, str] = {}
    for name, keys in by_domain.items():
        for key in keys:
            assert key not in seen, f"resource key {key!r} is bound by both {seen[key]} and {name}"
            seen[key] = name
    assert resource_keys(defs) == set(seen)  # the code location is exactly their union
    assert "model_store" not in seen  # each domain names its own registry resource


def test_the_shared_files_name_no_domain():
    for path in SHARED_FILES:
        source = (ROOT / path).read_text()
        for domain in domains():
            for spelling in {domain.name, domain.cli_name}:
                assert spelling not in source, f"{path} names the domain {spelling!r}"


def test_materialize_finds_the_prediction_caches_by_their_tag():
    # --full-refeed reaches exactly the assets that keep a prediction cache (their config takes it).
    found = refeed_assets(defs)
    assert sorted(found) == ["score_beater_predictions", "shot_predictions"]
    for name in found:
        [asset] = [asset for asset in defs.assets if name in {key.to_user_string() for key in asset.keys}]
        assert "full_refeed" in asset.op.config_schema.config_type.fields
    on = {"config": {"full_refeed": True}}
    assert refeed_config(defs, None) == {"score_beater_predictions": on, "shot_predictions": on}
    assert refeed_config(defs, parse_selection("key:shot_model+")) == {"shot_predictions": on}
    assert refeed_config(defs, parse_selection("raw_shots")) == {}


def test_thresholds_show_in_the_ui_and_follow_the_environment():
    shown = serialize_value(RepositorySnap.from_def(defs.get_repository_def()))
    for field in ("min_new_shots", "min_new_labels"):
        assert field in shown
    code = (
        "from shot_platform.definitions import defs; r = defs.resources; "
        "print(r['shot_retraining'].min_new_shots, r['score_beater_retraining'].min_new_labels)"
    )
    env = {
        **os.environ,
        "SHOT_PLATFORM_RETRAIN_MIN_NEW_SHOTS": "7",
        "SHOT_PLATFORM_RETRAIN_MIN_NEW_LABELS": "9",
        "SHOT_PLATFORM_ENV": "local",
    }
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["7", "9"]


@pytest.mark.slow
def test_dg_check_defs_accepts_the_project(tmp_path: Path):
    dg = shutil.which("dg", path=str(Path(sys.executable).parent))
    assert dg, "dagster-dg-cli is a dev dependency: `make install`"
    env = {**os.environ, "SHOT_PLATFORM_HOME": str(tmp_path / "home"), "DAGSTER_HOME": str(tmp_path / "dagster")}
    env.pop("SHOT_PLATFORM_ENV", None)
    (tmp_path / "dagster").mkdir()
    result = subprocess.run([dg, "check", "defs"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully" in result.stdout + result.stderr
