"""TensorFlow SavedModels in the model store, in TF Serving's directory layout.

Layout under the blob store (local directory or S3)::

    <name>/<version>/saved_model.pb         version = 1, 2, 3, ... (integers, as TF Serving expects)
    <name>/<version>/variables/...
    <name>/<version>/metadata.json          written last, with the sha256 of every other file
    <name>/champion.json                    the same pointer as the shot model's

A real TF Serving can be pointed at the local ``<model dir>/<name>`` (``--model_base_path``): it
ignores ``champion.json`` and ``metadata.json`` and serves the highest version (its own policy),
while this platform serves the champion. Within a version, ``saved_model.pb`` is written after the
variables, so a server that watches the directory never finds a graph without its weights.

Promotion, rollback and the promotion record are the shot model's (inherited from
:class:`ModelStore`); only where the files live, how a version is numbered and how its files are
verified differ. Nothing here imports TensorFlow: the store moves and checks bytes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

from shot_platform.core.blobs import BlobStore, LocalBlobStore, open_blob_store
from shot_platform.core.model_store import METADATA_FILE, ModelNotFoundError, ModelStore

GRAPH_FILE = "saved_model.pb"


class ChecksumMismatchError(ModelNotFoundError):
    """A stored file differs from the checksum recorded when its version was saved."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_order(relative: str) -> tuple[int, str]:
    """Variables and assets first, the graph after them (see the module docstring)."""
    return (1 if relative == GRAPH_FILE else 0, relative)


class SavedModelStore(ModelStore):
    """Versions of one SavedModel: save an exported directory, fetch a verified copy, promote."""

    def __init__(self, blobs: BlobStore, name: str = "score_beater") -> None:
        super().__init__(blobs, name)

    def _file_key(self, version: str, relative: str) -> str:
        return self._key(version, relative)

    def _write_metadata(self, version: str, metadata: dict) -> None:
        self.blobs.put(self._file_key(version, METADATA_FILE), json.dumps(metadata, indent=2).encode())

    def metadata(self, version: str) -> dict:
        if not str(version).isdigit():
            raise ModelNotFoundError(f"{self.name} versions are whole numbers (1, 2, ...), got {version!r}")
        try:
            return json.loads(self.blobs.get(self._file_key(str(int(version)), METADATA_FILE)))
        except KeyError as error:
            raise ModelNotFoundError(f"{self.name} has no complete version {version!r}") from error

    def _numbered(self) -> dict[int, set[str]]:
        """Every integer-named version directory (complete or not) -> the files in it."""
        found: dict[int, set[str]] = {}
        prefix = self.name + "/"
        for key in self.blobs.list(self.name):
            version, _, relative = key.removeprefix(prefix).partition("/")
            if version.isdigit() and relative:
                found.setdefault(int(version), set()).add(relative)
        return found

    def versions(self) -> list[str]:
        """Complete versions (those with metadata.json), oldest first."""
        return [str(v) for v, files in sorted(self._numbered().items()) if METADATA_FILE in files]

    def next_version(self) -> str:
        """One above every version directory, complete or not: a number is never reused."""
        return str(max(self._numbered(), default=0) + 1)

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
        version = version or self.champion_version()
        if version is None:
            raise ModelNotFoundError(
                f"{self.name} has no champion yet in {self.blobs.describe()}: train one with "
                "`shot-platform materialize --select group:free_throws`"
            )
        metadata = self.metadata(version)
        target = Path(destination or tempfile.mkdtemp(prefix=f"{self.name}-{version}-"))
        try:
            for relative, expected in metadata.get("files", {}).items():
                data = self.blobs.get(self._file_key(version, relative))
                if _sha256(data) != expected:
                    raise ChecksumMismatchError(
                        f"{self.name} version {version}: {relative} does not match its recorded sha256 "
                        f"(the stored copy was changed or damaged); promote another version with "
                        f"`shot-platform models promote --model {self.name} VERSION`"
                    )
                path = target / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        except BaseException:
            if destination is None:
                shutil.rmtree(target, ignore_errors=True)
            raise
        return target

    def local_path(self, version: str) -> Path | None:
        """Where a version lives on local disk (the directory TF Serving would load), if it does."""
        if isinstance(self.blobs, LocalBlobStore):
            return self.blobs.root / self.name / str(version)
        return None


def open_saved_model_store(
    location: str, s3_endpoint_url: str | None = None, name: str = "score_beater"
) -> SavedModelStore:
    """The SavedModel store at a directory or ``s3://bucket/prefix`` (settings: SHOT_PLATFORM_MODEL_STORE)."""
    return SavedModelStore(open_blob_store(location, s3_endpoint_url), name)
