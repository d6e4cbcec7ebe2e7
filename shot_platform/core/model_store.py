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

Names from the store are not trusted: a version is one safe key segment, and every file name in
a version's metadata must be a safe relative key (``blobs.safe_key``), else the version is
refused as damaged; nothing outside the version is ever read or written on its behalf.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from shot_platform.core.blobs import BlobError, BlobStore, UnsafeKeyError, open_blob_store, safe_key

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


def one_line(error: BaseException, limit: int = 300) -> str:
    """An exception as one short line (a loader's message may span many)."""
    text = " ".join(str(error).split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def check_version_name(name: str, version: object) -> str:
    """A version as typed or as a pointer names it: one safe key segment, else ModelNotFoundError."""
    try:
        if "/" in str(version):
            raise UnsafeKeyError(f"{version!r} has a '/'")
        return safe_key(version)
    except UnsafeKeyError as error:
        raise ModelNotFoundError(
            f"{name} has no version {version!r} ({error}); `shot-platform models list` shows the versions"
        ) from None


def recorded_files(name: str, version: str, files: object) -> dict[str, str]:
    """{file name: sha256} from a version's metadata, or CorruptArtifactError when the map is not
    one of safe relative names to sha256 hex digests (a name such as ``../x`` would lead out of
    the version)."""
    where = f"{name} version {version}: metadata.json"
    if not isinstance(files, dict) or not files:
        raise CorruptArtifactError(f"{where} records no artifact files; promote another version or retrain")
    checked = {}
    for path, expected in files.items():
        try:
            safe_key(path)
        except UnsafeKeyError as error:
            raise CorruptArtifactError(f"{where} names an unsafe file ({error}); promote another version") from None
        digest = expected.get("sha256") if isinstance(expected, dict) else expected
        if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise CorruptArtifactError(f"{where} has no sha256 for {path!r}; promote another version or retrain")
        checked[path] = digest
    return checked


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
        check_version_name(self.name, version)
        try:
            data = self.blobs.get(self._key("versions", version, METADATA_FILE))
        except KeyError as error:
            raise ModelNotFoundError(
                f"{self.name} has no complete version {version!r}; `shot-platform models list` shows the versions"
            ) from error
        except BlobError as error:
            raise CorruptArtifactError(f"{self.name} version {version}: {error}") from None
        try:
            metadata = json.loads(data)
        except ValueError as error:
            raise CorruptArtifactError(f"{self.name} version {version}: metadata.json is not valid JSON") from error
        if not isinstance(metadata, dict):
            raise CorruptArtifactError(f"{self.name} version {version}: metadata.json is not a JSON object")
        return metadata

    def versions(self) -> list[str]:
        """Complete versions, oldest first."""
        try:
            keys = self.blobs.list(self._key("versions"))
        except BlobError as error:
            raise RegistryError(f"{self.name} registry is damaged: {error}") from None
        found = (key.split("/") for key in keys)
        return sorted(
            parts[2]
            for parts in found
            if len(parts) == 4 and parts[:2] == [self.name, "versions"] and parts[3] == METADATA_FILE
        )

    def _verified_files(self, version: str, metadata: dict) -> dict[str, bytes]:
        """The version's artifact files, each checked against the sha256 and size recorded at save."""
        artifact = metadata.get("artifact")
        if artifact is None:  # saved before checksums were recorded: only loading can verify it
            prefix = self._key("versions", version) + "/"
            try:
                listed = self.blobs.list(prefix.rstrip("/"))
                keys = [key for key in listed if key.startswith(prefix) and not key.endswith("/" + METADATA_FILE)]
                return {key.removeprefix(prefix): self.blobs.get(key) for key in keys}
            except (BlobError, KeyError) as error:
                raise CorruptArtifactError(f"{self.name} version {version}: {error}; promote another version") from None
        if not isinstance(artifact, dict):
            raise CorruptArtifactError(f"{self.name} version {version}: metadata.json's 'artifact' is not an object")
        recorded = recorded_files(self.name, version, artifact.get("files"))
        files = {}
        for path, expected in recorded.items():
            try:
                data = self.blobs.get(self._key("versions", version, path))
            except KeyError as error:
                raise CorruptArtifactError(
                    f"{self.name} version {version}: artifact file {path} is missing; promote another version"
                ) from error
            except BlobError as error:
                raise CorruptArtifactError(f"{self.name} version {version}: {error}; promote another version") from None
            digest = sha256(data)
            if digest != expected:
                size = artifact["files"][path].get("bytes") if isinstance(artifact["files"][path], dict) else None
                recorded_size = f"{size:,} recorded" if isinstance(size, int) else "size not recorded"
                raise CorruptArtifactError(
                    f"{self.name} version {version}: artifact file {path} is damaged ({len(data):,} bytes, "
                    f"{recorded_size}; sha256 {digest[:12]}… instead of {expected[:12]}…); "
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
                f"({one_line(error)}); promote another version or retrain"
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
        except BlobError as error:
            return ChampionPointer(None, problem=f"{where} cannot be read ({error})")
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
        try:
            self.blobs.put(self._key(CHAMPION_FILE), json.dumps(record, indent=2).encode())
        except BlobError as error:
            raise RegistryError(f"cannot write the {self.name} champion pointer: {error}") from None
        return record


def open_model_store(
    location: str, name: str, artifact: ArtifactFormat[M], s3_endpoint_url: str | None = None
) -> ModelStore[M]:
    """The model store at a directory or ``s3://bucket/prefix`` (settings: SHOT_PLATFORM_MODEL_STORE)."""
    return ModelStore(open_blob_store(location, s3_endpoint_url), name, artifact)
