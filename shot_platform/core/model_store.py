"""Versioned models with a champion pointer (like an MLflow alias), for any artifact format.

Layout under the blob store::

    <name>/versions/<version>/<artifact files>   e.g. model.joblib; a format may write several files
    <name>/versions/<version>/metadata.json     written last: a version without it is incomplete
    <name>/champion.json                        the pointer; promotion and rollback rewrite it

The store knows nothing of a domain: the domain passes an :class:`ArtifactFormat`
that turns its model into files and back. At save, the sha256 and size of every
artifact file go into the metadata (``artifact``); loading checks them, and
promotion checks them *and* loads the model, so a truncated or corrupted upload
can never become champion. A partially written version has no metadata.json:
it is never listed and can never be promoted.

A damaged pointer (not JSON, no ``version``, a version that does not exist,
an empty file) is reported by :meth:`ModelStore.champion_pointer`, never
raised: every reader treats it as "no usable champion", and
``shot-platform models promote VERSION`` rewrites it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from shot_platform.core.blobs import BlobStore, open_blob_store

METADATA_FILE = "metadata.json"
CHAMPION_FILE = "champion.json"


class RegistryError(Exception):
    """Anything that keeps a version from being loaded or promoted; the message says what to do."""


class ModelNotFoundError(RegistryError, LookupError):
    """No such (complete) version, or no usable champion."""


class CorruptArtifactError(RegistryError, ValueError):
    """A version's files do not match their recorded checksums, or do not load."""


class StoredModel(Protocol):
    """What the store needs of a model: its version and its metadata."""

    version: str
    metadata: dict


M = TypeVar("M", bound=StoredModel)


class ArtifactFormat(Protocol[M]):
    """How one framework's model becomes files and back (a joblib file, a SavedModel directory, ...).

    ``dump`` returns {relative path: bytes}; ``load`` gets the same mapping back
    (checksums already verified) and the version's metadata.
    """

    name: str

    def dump(self, model: M) -> dict[str, bytes]: ...

    def load(self, files: Mapping[str, bytes], metadata: dict) -> M: ...


@dataclass(frozen=True)
class ChampionPointer:
    """The pointer as read: ``version`` is None when there is no usable champion, and
    ``problem`` then says why (None when there simply is no pointer yet)."""

    version: str | None
    record: dict | None = None
    problem: str | None = None

    @property
    def damaged(self) -> bool:
        return self.problem is not None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ModelStore(Generic[M]):
    """Save, list, verify, load and promote versions of one model."""

    def __init__(self, blobs: BlobStore, name: str, artifact: ArtifactFormat[M] | None = None) -> None:
        # ``artifact`` None: a subclass with its own layout and files (saved_model_store.SavedModelStore)
        # overrides save, load, metadata and versions; pointer, verification and promotion are shared.
        self.blobs = blobs
        self.name = name
        self.artifact = artifact

    def _key(self, *parts: str) -> str:
        return "/".join((self.name, *parts))

    def save(self, model: M) -> str:
        """Store a version (artifact files first, metadata with their checksums last); does not promote it."""
        files = self.artifact.dump(model)
        for path, data in files.items():
            self.blobs.put(self._key("versions", model.version, path), data)
        model.metadata["artifact"] = {
            "format": self.artifact.name,
            "files": {path: {"sha256": sha256(data), "bytes": len(data)} for path, data in sorted(files.items())},
        }
        self._write_metadata(model.version, model.metadata)
        return model.version

    def update_promotion(self, version: str, promotion: dict) -> None:
        """Replace a saved version's promotion decision (its metadata is rewritten whole)."""
        self._write_metadata(version, self.metadata(version) | {"promotion": promotion})

    def _write_metadata(self, version: str, metadata: dict) -> None:
        self.blobs.put(self._key("versions", version, METADATA_FILE), json.dumps(metadata, indent=2).encode())

    def metadata(self, version: str) -> dict:
        try:
            data = self.blobs.get(self._key("versions", version, METADATA_FILE))
        except KeyError as error:
            raise ModelNotFoundError(
                f"{self.name} has no complete version {version!r}; `shot-platform models list` shows the versions"
            ) from error
        try:
            metadata = json.loads(data)
        except ValueError as error:
            raise CorruptArtifactError(f"{self.name} version {version}: metadata.json is not valid JSON") from error
        if not isinstance(metadata, dict):
            raise CorruptArtifactError(f"{self.name} version {version}: metadata.json is not a JSON object")
        return metadata

    def versions(self) -> list[str]:
        """Complete versions, oldest first."""
        suffix = "/" + METADATA_FILE
        keys = self.blobs.list(self._key("versions"))
        return sorted(key.split("/")[-2] for key in keys if key.endswith(suffix))

    def _verified_files(self, version: str, metadata: dict) -> dict[str, bytes]:
        """The version's artifact files, each checked against the sha256 and size recorded at save."""
        recorded = metadata.get("artifact", {}).get("files")
        if not recorded:  # saved before checksums were recorded: only loading can verify it
            prefix = self._key("versions", version) + "/"
            keys = [key for key in self.blobs.list(prefix) if not key.endswith("/" + METADATA_FILE)]
            return {key.removeprefix(prefix): self.blobs.get(key) for key in keys}
        files = {}
        for path, expected in recorded.items():
            try:
                data = self.blobs.get(self._key("versions", version, path))
            except KeyError as error:
                raise CorruptArtifactError(
                    f"{self.name} version {version}: artifact file {path} is missing; promote another version"
                ) from error
            digest = sha256(data)
            if digest != expected["sha256"]:
                raise CorruptArtifactError(
                    f"{self.name} version {version}: artifact file {path} is damaged ({len(data):,} bytes, "
                    f"{expected['bytes']:,} recorded; sha256 {digest[:12]}… instead of {expected['sha256'][:12]}…); "
                    "promote another version or retrain"
                )
            files[path] = data
        return files

    def load(self, version: str | None = None) -> M:
        """A version, or the champion when ``version`` is None; its files are verified first."""
        if version is None:
            pointer = self.champion_pointer()
            if pointer.version is None:
                raise ModelNotFoundError(self._no_champion_message(pointer))
            version = pointer.version
        metadata = self.metadata(version)
        files = self._verified_files(version, metadata)
        try:
            return self.artifact.load(files, metadata)
        except Exception as error:
            raise CorruptArtifactError(
                f"{self.name} version {version} does not load as {self.artifact.name} "
                f"({type(error).__name__}: {error}); promote another version or retrain"
            ) from error

    def _no_champion_message(self, pointer: ChampionPointer) -> str:
        if pointer.damaged:
            return f"{pointer.problem}. Repair it with `shot-platform models promote VERSION`"
        return f"{self.name} has no champion yet in {self.blobs.describe()}: train one with `shot-platform materialize`"

    def champion_pointer(self) -> ChampionPointer:
        """The pointer and whether it is usable. Never raises for a damaged pointer; the
        blob store being unreachable still raises (that is not damage)."""
        where = f"{self.name} champion pointer ({self.blobs.describe()}/{self._key(CHAMPION_FILE)})"
        try:
            data = self.blobs.get(self._key(CHAMPION_FILE))
        except KeyError:
            return ChampionPointer(None)
        if not data.strip():
            return ChampionPointer(None, problem=f"{where} is empty")
        try:
            record = json.loads(data)
        except ValueError as error:
            return ChampionPointer(None, problem=f"{where} is not valid JSON ({error})")
        if not isinstance(record, dict) or not isinstance(record.get("version"), str) or not record["version"]:
            return ChampionPointer(None, problem=f"{where} has no 'version' string")
        version = record["version"]
        if not self._exists(version):
            return ChampionPointer(None, record, f"{where} names version {version!r}, which does not exist")
        return ChampionPointer(version, record)

    def _exists(self, version: str) -> bool:
        try:
            self.metadata(version)  # a subclass may keep versions elsewhere
        except ModelNotFoundError:
            return False
        except (RegistryError, ValueError):  # present but damaged: loading it will say so
            return True
        return True

    def champion(self) -> dict | None:
        """The pointer record (version, promoted_at, reason, previous), None without a usable champion."""
        pointer = self.champion_pointer()
        return pointer.record if pointer.version else None

    def champion_version(self) -> str | None:
        """The champion's version, None when there is none or the pointer is damaged."""
        return self.champion_pointer().version

    def verify(self, version: str) -> M:
        """Check a version's checksums and load it: what promotion requires. Returns the model."""
        return self.load(version)

    def promote(self, version: str, reason: str) -> dict[str, Any]:
        """Point the champion at a verified version, in one atomic write (also repairs a damaged pointer)."""
        self.verify(version)  # raises for unknown, incomplete, damaged or unloadable versions
        pointer = self.champion_pointer()
        record: dict[str, Any] = {
            "version": version,
            "promoted_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "reason": reason,
            "previous": pointer.version,
        }
        if pointer.damaged:
            record["repaired"] = pointer.problem
        self.blobs.put(self._key(CHAMPION_FILE), json.dumps(record, indent=2).encode())
        return record


def open_model_store(
    location: str, name: str, artifact: ArtifactFormat[M], s3_endpoint_url: str | None = None
) -> ModelStore[M]:
    """The model store at a directory or ``s3://bucket/prefix`` (settings: SHOT_PLATFORM_MODEL_STORE)."""
    return ModelStore(open_blob_store(location, s3_endpoint_url), name, artifact)
