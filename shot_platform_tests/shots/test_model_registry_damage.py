"""The shot model's registry damaged on disk (a folder where a file belongs and the reverse):
`models list|promote` answer one line, never a traceback (issue 13, item 10, for the other format)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sklearn.linear_model import LogisticRegression

from shot_platform.cli import cli
from shot_platform.core.blobs import LocalBlobStore
from shot_platform.core.model_store import ModelStore, RegistryError
from shot_platform.shots.models.artifact import SHOT_MODEL_FORMAT, ShotModel


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def to_directory(path: Path) -> None:
    path.unlink()
    path.mkdir()


def to_file(path: Path) -> None:
    shutil.rmtree(path)
    path.write_bytes(b"a file where a folder was")


# What is damaged (under models/shot_model); `list`'s exit code and what it says (a warning when
# it can still list, an error line when it cannot); what `promote v2` says; whether v2 still loads.
DAMAGE: dict[str, tuple[Callable[[Path], None], int, str, str, bool]] = {
    "champion_json_a_directory": (
        lambda root: to_directory(root / "champion.json"),
        0,
        "is a directory, not a file): there is no usable champion",
        "champion.json: it is a directory; move it away",
        True,
    ),
    "model_folder_a_file": (
        lambda root: to_file(root),
        0,
        "is a file where a directory belongs: move it away",
        "pointer is unchanged",
        False,
    ),
    "versions_a_file": (lambda root: to_file(root / "versions"), 1, "is a file where a directory belongs", "v2", False),
    "artifact_a_directory": (
        lambda root: to_directory(root / "versions" / "v2" / "model.joblib"),
        0,
        "",
        "model.joblib is a directory, not a file",
        False,
    ),
    "metadata_a_directory": (
        lambda root: to_directory(root / "versions" / "v2" / "metadata.json"),
        0,
        "",
        "metadata.json is a directory, not a file",
        False,
    ),
    "artifact_folder_a_file": (lambda root: to_file(root / "versions" / "v2"), 0, "", "pointer is unchanged", False),
}


@pytest.fixture
def models(platform_home: Path) -> ModelStore[ShotModel]:
    store = ModelStore(LocalBlobStore(platform_home / "models"), "shot_model", SHOT_MODEL_FORMAT)
    for version in ("v1", "v2"):
        store.save(ShotModel(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), ("x",), version))
    store.promote("v1", "test")
    return store


def one_error_line(result: Result, phrase: str) -> None:
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), (result.output, result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and phrase in lines[0], result.output


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_shot_model_registry_gives_one_line_errors(
    damage: str, models: ModelStore[ShotModel], platform_home: Path
):
    apply, list_exit, list_says, promote_error, v2_loads = DAMAGE[damage]
    apply(platform_home / "models" / "shot_model")

    listed = run("models", "list", "--model", "shot_model")
    if list_exit:
        one_error_line(listed, list_says)
    else:
        assert listed.exit_code == 0 and list_says in listed.output, listed.output
        assert "Traceback" not in listed.output and listed.exception is None
    one_error_line(run("models", "promote", "v2"), promote_error)
    if v2_loads:
        assert models.load("v2").version == "v2"
    else:
        with pytest.raises(RegistryError):
            models.load("v2")
