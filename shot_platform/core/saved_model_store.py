"""TensorFlow SavedModels in the model store, in TF Serving's directory layout.

Layout under the blob store (local directory or S3)::

    <name>/<version>/saved_model.pb         version = 1, 2, 3, ... (integers, as TF Serving expects)
    <name>/<version>/variables/...
    <name>/<version>/metadata.json          written last, with the sha256 of every other file
    <name>/champion.json                    the same pointer as the shot model's
    <name>/models.config                    TF Serving's model config, rewritten on every save and promotion

Stock TF Serving reads this directory (``--model_config_file=<model dir>/<name>/models.config``): the
config keeps the champion (label ``stable``) and the canary (``canary``) loaded, and names nothing
else, so TF Serving and this platform serve the same champion (``serving.tf_serving_config``). It
ignores ``champion.json``, ``metadata.json`` and ``models.config`` as versions (not numbers).
Within a version, ``saved_model.pb`` is written after the variables, so a server that watches the
directory never finds a graph without its weights.

Promotion, rollback and the promotion record are the shot model's (inherited from
:class:`ModelStore`); only where the files live, how a version is numbered and how its files are
verified differ. Nothing here imports TensorFlow: the store moves and checks bytes, and promotion
loads the version in a child process (``serving.saved_model_check``) so a caller never pays for
TensorFlow (or its crash) just to promote.

Hostile or damaged stores: a version directory is named by a canonical whole number (``01`` is
not version 1), every file name in ``metadata.json`` must be a safe relative key (no ``..``,
absolute path, backslash, NUL; see ``blobs.safe_key``) and lands inside the copy, and each
problem is a :class:`~shot_platform.core.model_store.RegistryError` with a one-line message.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import shot_platform
from shot_platform.core.blobs import BlobError, BlobStore, LocalBlobStore, open_blob_store
from shot_platform.core.model_store import (
    METADATA_FILE,
    CorruptArtifactError,
    ModelNotFoundError,
    ModelStore,
    recorded_files,
)
from shot_platform.core.settings import TF_LOG_LEVEL_ENV, child_environment

GRAPH_FILE = "saved_model.pb"
VERSION = re.compile(r"[1-9][0-9]{0,17}")  # TF Serving's integer versions, written without leading zeros
CHECK_TIMEOUT_S = 300.0  # importing TensorFlow on a busy 2-core machine takes tens of seconds


class ChecksumMismatchError(CorruptArtifactError):
    """A stored file differs from the checksum recorded when its version was saved."""


def is_version(name: str) -> bool:
    return VERSION.fullmatch(name) is not None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_order(relative: str) -> tuple[int, str]:
    """Variables and assets first, the graph after them (see the module docstring)."""
    return (1 if relative == GRAPH_FILE else 0, relative)


class SavedModelStore(ModelStore):
    """Versions of one SavedModel: save an exported directory, fetch a verified copy, promote."""

    def __init__(
        self, blobs: BlobStore, name: str = "score_beater", load_check: Callable[[Path], str | None] | None = None
    ) -> None:
        """``load_check(directory)`` is what promotion asks of a version's copy beyond its checksums:
        None when it loads, else the problem (default: TensorFlow loads it in a child process)."""
        super().__init__(blobs, name)
        self.load_check = load_check or check_saved_model

    def _file_key(self, version: str, relative: str) -> str:
        return self._key(version, relative)

    def metadata(self, version: str) -> dict:
        if not is_version(str(version)):
            raise ModelNotFoundError(
                f"{self.name} versions are whole numbers without leading zeros (1, 2, ...), got {version!r}"
            )
        try:
            metadata = json.loads(self.blobs.get(self._file_key(str(version), METADATA_FILE)))
        except KeyError as error:
            raise ModelNotFoundError(f"{self.name} has no complete version {version!r}") from error
        except BlobError as error:
            raise CorruptArtifactError(f"{self.name} version {version}: {error}; promote another version") from None
        except ValueError:
            raise CorruptArtifactError(
                f"{self.name} version {version}: metadata.json is not valid JSON; promote another version"
            ) from None
        if not isinstance(metadata, dict):
            raise CorruptArtifactError(f"{self.name} version {version}: metadata.json is not a JSON object")
        return metadata

    def _keys(self) -> list[str]:
        try:
            return self.blobs.list(self.name)
        except BlobError as error:
            raise CorruptArtifactError(f"{self.name} registry is damaged: {error}") from None

    def _numbered(self) -> dict[int, set[str]]:
        """Every integer-named version directory (complete or not) -> the files in it."""
        found: dict[int, set[str]] = {}
        prefix = self.name + "/"
        for key in self._keys():
            if not key.startswith(prefix):
                continue
            version, _, relative = key.removeprefix(prefix).partition("/")
            if is_version(version) and relative:  # "01" or "v2" is not a version (TF Serving would disagree)
                found.setdefault(int(version), set()).add(relative)
        return found

    def versions(self) -> list[str]:
        """Complete versions (those with metadata.json), oldest first."""
        return [str(v) for v, files in sorted(self._numbered().items()) if METADATA_FILE in files]

    def next_version(self) -> str:
        """One above every version directory, complete or not: a number is never reused (nor one
        that TF Serving would read from a stray name such as ``02``)."""
        prefix = self.name + "/"
        names = {key.removeprefix(prefix).partition("/")[0] for key in self._keys() if key.startswith(prefix)}
        return str(max((int(name) for name in names if name.isascii() and name.isdigit()), default=0) + 1)

    def save(self, directory: str | Path, metadata: dict | None = None) -> str:  # type: ignore[override]
        """Store an exported SavedModel directory as the next version (not promoted); returns it.

        The files go first (variables before the graph), then ``metadata.json`` with their sha256
        checksums: a version whose upload failed has no metadata, so it is never listed or promoted.
        """
        root = Path(directory)
        if not (root / GRAPH_FILE).is_file():
            raise ValueError(f"{root} is not a SavedModel directory (no {GRAPH_FILE}): export it with model.export()")
        version = self.next_version()
        files = sorted((p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()), key=_write_order)
        checksums = {}
        for relative in files:
            data = (root / relative).read_bytes()
            self.blobs.put(self._file_key(version, relative), data)
            checksums[relative] = _sha256(data)
        self._write_metadata(version, {**(metadata or {}), "version": version, "files": checksums})
        return version

    def load(self, version: str | None = None, destination: str | Path | None = None) -> Path:  # type: ignore[override]
        """A verified local copy of a version (the champion when ``version`` is None).

        Every file is checked against the sha256 recorded at save time; a mismatch raises
        :class:`ChecksumMismatchError` naming the file, and nothing half-checked is returned.
        """
        if version is None:
            pointer = self.champion_pointer()
            if pointer.damaged:
                raise ModelNotFoundError(
                    f"{pointer.problem}. Repair it with `shot-platform models promote --model {self.name} VERSION`"
                )
            version = pointer.version
        if version is None:
            raise ModelNotFoundError(
                f"{self.name} has no champion yet in {self.blobs.describe()}: train one with "
                "`shot-platform materialize --select group:free_throws`"
            )
        metadata = self.metadata(version)
        files = recorded_files(self.name, version, metadata.get("files"))
        if GRAPH_FILE not in files:
            raise CorruptArtifactError(
                f"{self.name} version {version}: metadata.json records no {GRAPH_FILE}; promote another version"
            )
        promote_another = f"promote another version with `shot-platform models promote --model {self.name} VERSION`"
        target = Path(destination or tempfile.mkdtemp(prefix=f"{self.name}-{version}-"))
        try:
            inside = target.resolve()
            for relative, expected in files.items():
                try:
                    data = self.blobs.get(self._file_key(version, relative))
                except KeyError:
                    raise CorruptArtifactError(
                        f"{self.name} version {version}: {relative} is missing; {promote_another}"
                    ) from None
                except BlobError as error:
                    raise CorruptArtifactError(f"{self.name} version {version}: {error}; {promote_another}") from None
                if _sha256(data) != expected:
                    raise ChecksumMismatchError(
                        f"{self.name} version {version}: {relative} does not match its recorded sha256 "
                        f"(the stored copy was changed or damaged); {promote_another}"
                    )
                path = target / relative
                if not path.resolve().is_relative_to(inside):  # a symlink already in the destination
                    raise CorruptArtifactError(f"{self.name} version {version}: {relative} leads outside {target}")
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(data)
                except (FileExistsError, NotADirectoryError, IsADirectoryError):
                    # e.g. both "variables" and "variables/variables.index" recorded
                    raise CorruptArtifactError(
                        f"{self.name} version {version}: {relative} clashes with another recorded file; "
                        f"{promote_another}"
                    ) from None
        except BaseException:
            if destination is None:
                shutil.rmtree(target, ignore_errors=True)
            raise
        return target

    def verify(self, version: str) -> str:  # type: ignore[override]
        """What promotion requires: every file present and matching its checksum, and the copy
        loading with TensorFlow (in a child process) with a serving signature. Returns the version."""
        self.metadata(version)  # the version's name is checked before it goes into a path
        with tempfile.TemporaryDirectory(prefix=f"{self.name}-{version}-verify-") as copy:
            self.load(version, Path(copy) / "model")
            problem = self.load_check(Path(copy) / "model")
        if problem:
            raise CorruptArtifactError(
                f"{self.name} version {version} does not load as a SavedModel ({problem}); promote another "
                "version or retrain"
            )
        return version

    def _write_metadata(self, version: str, metadata: dict) -> None:
        self.blobs.put(self._file_key(version, METADATA_FILE), json.dumps(metadata, indent=2).encode())
        self.write_serving_config()  # a new or re-decided version may be the canary

    def promote(self, version: str, reason: str) -> dict:
        record = super().promote(version, reason)
        self.write_serving_config()  # moves TF Serving's "stable" label without a restart
        return record

    def write_serving_config(self) -> dict[str, int]:
        """Rewrite ``<name>/models.config`` for stock TF Serving (``serving.tf_serving_config``);
        returns the version labels it names, {} (nothing written) without a usable champion."""
        from shot_platform.core.serving.tf_serving_config import write_model_config

        return write_model_config(self)

    def local_path(self, version: str) -> Path | None:
        """Where a version lives on local disk (the directory TF Serving would load), if it does."""
        if isinstance(self.blobs, LocalBlobStore):
            return self.blobs.root / self.name / str(version)
        return None


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


def open_saved_model_store(
    location: str, s3_endpoint_url: str | None = None, name: str = "score_beater"
) -> SavedModelStore:
    """The SavedModel store at a directory or ``s3://bucket/prefix`` (settings: SHOT_PLATFORM_MODEL_STORE)."""
    return SavedModelStore(open_blob_store(location, s3_endpoint_url), name)
