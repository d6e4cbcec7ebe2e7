"""TensorFlow SavedModels in the model store, in TF Serving's directory layout.

Layout under the blob store (local directory or S3)::

    <name>/<version>/saved_model.pb         version = 1, 2, 3, ... (integers, as TF Serving expects)
    <name>/<version>/variables/...
    <name>/<version>/metadata.json          written last, with the sha256 of every other file
    <name>/champion.json                    the champion pointer, as for a file artifact
    <name>/models.config                    TF Serving's model config, rewritten on every save and promotion

Stock TF Serving reads this directory (``--model_config_file=<model dir>/<name>/models.config``): the
config keeps the champion (label ``stable``) and the canary (``canary``) loaded, and names nothing
else, so TF Serving and this platform serve the same champion (``serving.tf_serving_config``). It
ignores ``champion.json``, ``metadata.json`` and ``models.config`` as versions (not numbers).
Within a version, ``saved_model.pb`` is written after the variables, so a server that watches the
directory never finds a graph without its weights.

A SavedModel directory is one more :class:`~shot_platform.core.model_store.ArtifactFormat` of
the one :class:`~shot_platform.core.model_store.ModelStore`: saving, listing, checksums, damage
handling, promotion, rollback and the promotion record are every model's; the format says where
the files live, how a version is numbered, how checksums are recorded (``files`` in
``metadata.json``, as TF Serving's layout was first written) and what promotion checks beyond them.
Nothing here imports TensorFlow: the store moves and checks bytes, and promotion
loads the version in a child process (``serving.saved_model_check``) so a caller never pays for
TensorFlow (or its crash) just to promote.

Hostile or damaged stores: a version directory is named by a canonical whole number (``01`` is
not version 1), every file name in ``metadata.json`` must be a safe relative key (no ``..``,
absolute path, backslash, NUL; see ``blobs.safe_key``) and lands inside the copy, and each
problem is a :class:`~shot_platform.core.model_store.RegistryError` with a one-line message.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import shot_platform
from shot_platform.core.blobs import BlobStore, open_blob_store
from shot_platform.core.model_store import (
    ArtifactFormat,
    ChecksumMismatchError,
    CorruptArtifactError,
    ModelStore,
    recorded_files,
    sha256,
)
from shot_platform.core.settings import TF_LOG_LEVEL_ENV, child_environment

GRAPH_FILE = "saved_model.pb"
VERSION = re.compile(r"[1-9][0-9]{0,17}")  # TF Serving's integer versions, written without leading zeros
CHECK_TIMEOUT_S = 300.0  # importing TensorFlow on a busy 2-core machine takes tens of seconds

__all__ = ["ChecksumMismatchError", "SavedModelDirectory", "SavedModelStore", "check_saved_model"]


def is_version(name: str) -> bool:
    return VERSION.fullmatch(name) is not None


def _write_order(relative: str) -> tuple[int, str]:
    """Variables and assets first, the graph after them (see the module docstring)."""
    return (1 if relative == GRAPH_FILE else 0, relative)


class SavedModelDirectory(ArtifactFormat[Path]):
    """An exported SavedModel directory, in TF Serving's layout: saved from a directory, loaded as a
    verified local copy (a directory the caller removes)."""

    name = "a SavedModel"
    folder = ""

    def __init__(self, load_check: Callable[[Path], str | None] | None = None) -> None:
        """``load_check(directory)`` is what promotion asks of a version's copy beyond its checksums:
        None when it loads, else the problem (default: TensorFlow loads it in a child process)."""
        self.load_check = load_check or check_saved_model

    def version_problem(self, version: str) -> str | None:
        return None if is_version(version) else "versions are whole numbers without leading zeros (1, 2, ...)"

    def order(self, version: str) -> int:
        return int(version)

    def new_version(self, model: Path, store: ModelStore[Path]) -> str:
        return store.next_version()

    def dump(self, model: Path) -> dict[str, bytes]:
        root = Path(model)
        if not (root / GRAPH_FILE).is_file():
            raise ValueError(f"{root} is not a SavedModel directory (no {GRAPH_FILE}): export it with model.export()")
        files = sorted((p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()), key=_write_order)
        return {relative: (root / relative).read_bytes() for relative in files}

    def describe(self, model: Path, version: str, metadata: dict | None, files: Mapping[str, bytes]) -> dict:
        return {**(metadata or {}), "version": version, "files": {path: sha256(data) for path, data in files.items()}}

    def recorded(self, name: str, version: str, metadata: dict) -> dict[str, tuple[str, int | None]]:
        files = recorded_files(name, version, metadata.get("files"))
        if GRAPH_FILE not in files:
            raise CorruptArtifactError(
                f"{name} version {version}: metadata.json records no {GRAPH_FILE}; promote another version"
            )
        return files

    def load(self, files: Mapping[str, bytes], metadata: dict, destination: Path | None = None) -> Path:
        """The files written under ``destination`` (a new temporary directory when None), nothing
        outside it; on any failure a temporary directory is removed."""
        target = Path(destination or tempfile.mkdtemp(prefix=f"saved-model-{metadata.get('version', '')}-"))
        try:
            inside = target.resolve()
            for relative, data in files.items():
                path = target / relative
                if not path.resolve().is_relative_to(inside):  # a symlink already in the destination
                    raise ValueError(f"{relative} leads outside {target}")
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
                except (FileExistsError, NotADirectoryError, IsADirectoryError):
                    # e.g. both "variables" and "variables/variables.index" recorded
                    raise ValueError(f"{relative} clashes with another recorded file") from None
        except BaseException:
            if destination is None:
                shutil.rmtree(target, ignore_errors=True)
            raise
        return target

    def promotion_check(self, model: Path) -> str | None:
        """TensorFlow loads the copy (in a child process) with a serving signature; the copy goes."""
        try:
            return self.load_check(model)
        finally:
            shutil.rmtree(model, ignore_errors=True)

    def changed(self, store: ModelStore[Path]) -> None:
        """A new or re-decided version may be the canary, a promotion moves the champion: rewrite
        TF Serving's ``models.config`` (its labels move without a restart)."""
        from shot_platform.core.serving.tf_serving_config import write_model_config

        write_model_config(store)


class SavedModelStore(ModelStore[Path]):
    """Versions of one SavedModel: the model store with the :class:`SavedModelDirectory` format."""

    def __init__(self, blobs: BlobStore, name: str, load_check: Callable[[Path], str | None] | None = None) -> None:
        super().__init__(blobs, name, SavedModelDirectory(load_check))

    def write_serving_config(self) -> dict[str, int]:
        """Rewrite ``<name>/models.config`` for stock TF Serving (``serving.tf_serving_config``);
        returns the version labels it names, {} (nothing written) without a usable champion."""
        from shot_platform.core.serving.tf_serving_config import write_model_config

        return write_model_config(self)


def check_saved_model(path: Path, timeout_s: float = CHECK_TIMEOUT_S) -> str | None:
    """Load a SavedModel directory in a child process (``python -m shot_platform.core.serving.saved_model_check``);
    None when it loads, else the one-line reason."""
    env = child_environment(pythonpath=str(Path(shot_platform.__file__).resolve().parents[1]))
    env.setdefault(TF_LOG_LEVEL_ENV, "2")
    command = [sys.executable, "-m", "shot_platform.core.serving.saved_model_check", str(path)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return f"loading took more than {timeout_s:.0f} s"
    lines = result.stdout.strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {}
    except ValueError:
        answer = {}
    answer = answer if isinstance(answer, dict) else {}
    if result.returncode == 0 and answer.get("ok") is True:
        return None
    if isinstance(answer.get("error"), str):
        return answer["error"]
    tail = " ".join(result.stderr.strip().splitlines()[-1:])[:300]
    return f"the loading process exited with {result.returncode}: {tail or 'no message'}"


def open_saved_model_store(location: str, s3_endpoint_url: str | None, name: str) -> SavedModelStore:
    """The SavedModel store at a directory or ``s3://bucket/prefix`` (settings: SHOT_PLATFORM_MODEL_STORE)."""
    return SavedModelStore(open_blob_store(location, s3_endpoint_url), name)
