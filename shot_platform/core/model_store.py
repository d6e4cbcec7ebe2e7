"""Versioned models with a champion pointer (like an MLflow alias), for any artifact format.

Layout under the blob store (the default format's; TF Serving's SavedModel directories leave out
``versions/`` and number the versions 1, 2, 3: ``saved_model_store.SavedModelDirectory``)::

    <name>/versions/<version>/<artifact files>   e.g. model.joblib; a format may write several files
    <name>/versions/<version>/metadata.json     written last: a version without it is incomplete
    <name>/champion.json                        the pointer; promotion and rollback rewrite it

The store knows nothing of a domain: the domain passes an :class:`ArtifactFormat`
that turns its model into files and back (one file or a directory of them). At save, the sha256 and size of every
artifact file go into the metadata (``artifact``); loading checks them, and
promotion checks them *and* loads the model, so a truncated or corrupted upload
can never become champion. A partially written version has no metadata.json:
it is never listed and can never be promoted.

A damaged pointer (not JSON, no ``version``, a version that does not exist,
an empty file) is reported by :meth:`ModelStore.champion_pointer`, never
raised: every reader treats it as "no usable champion", and
``shot-platform models promote [--model NAME] VERSION`` rewrites it.

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
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, cast

from shot_platform.core.blobs import BlobError, BlobStore, LocalBlobStore, UnsafeKeyError, open_blob_store, safe_key

METADATA_FILE = "metadata.json"
CHAMPION_FILE = "champion.json"


class RegistryError(Exception):
    """Anything that keeps a version from being loaded or promoted; the message says what to do."""


class ModelNotFoundError(RegistryError, LookupError):
    """No such (complete) version, or no usable champion."""


class CorruptArtifactError(RegistryError, ValueError):
    """A version's files do not match their recorded checksums, or do not load."""


class ChecksumMismatchError(CorruptArtifactError):
    """A stored file differs from the checksum recorded when its version was saved."""


class StoredModel(Protocol):
    """What the default format needs of a model: its version and its metadata."""

    version: str
    metadata: dict


M = TypeVar("M")


class ArtifactFormat(Generic[M]):
    """How one framework's model becomes files and back, and where its versions live.

    A format supplies ``name``, ``dump`` (model -> {relative path: bytes}, in write order) and
    ``load`` (the same mapping back, checksums verified, plus the version's metadata). The defaults
    of the other methods are those of a model saved under its own version name (``model.version``,
    ``model.metadata``), with checksums under metadata's ``artifact``; a directory format such as
    TF Serving's (``saved_model_store.SavedModelDirectory``) overrides them.
    """

    name: str = "files"
    folder: str = "versions"  # versions live under <name>/<folder>/<version>/ ("": <name>/<version>/)

    def dump(self, model: M) -> dict[str, bytes]:
        raise NotImplementedError

    def load(self, files: Mapping[str, bytes], metadata: dict, destination: Path | None = None) -> M:
        """The model from its files; ``destination``: where a directory artifact is written."""
        raise NotImplementedError

    def version_problem(self, version: str) -> str | None:
        """Why a name is not a version of this format (beyond being one safe key segment), else None."""
        return None

    def order(self, version: str) -> Any:
        """How versions sort, oldest first."""
        return version

    def new_version(self, model: M, store: ModelStore[M]) -> str:
        """The version a saved model gets."""
        return cast(StoredModel, model).version

    def describe(self, model: M, version: str, metadata: dict | None, files: Mapping[str, bytes]) -> dict:
        """The version's metadata.json, with the sha256 and size of every artifact file."""
        described = cast(StoredModel, model).metadata  # updated in place: the model carries what was saved
        described.update(metadata or {})
        described["artifact"] = {
            "format": self.name,
            "files": {path: {"sha256": sha256(data), "bytes": len(data)} for path, data in sorted(files.items())},
        }
        return described

    def recorded(self, name: str, version: str, metadata: dict) -> dict[str, tuple[str, int | None]] | None:
        """{file: (sha256, bytes)} as recorded at save; None for a version saved before checksums
        were recorded (its listed files are read, and only loading can verify them)."""
        artifact = metadata.get("artifact")
        if artifact is None:
            return None
        if not isinstance(artifact, dict):
            raise CorruptArtifactError(f"{name} version {version}: metadata.json's 'artifact' is not an object")
        return recorded_files(name, version, artifact.get("files"))

    def promotion_check(self, model: M) -> str | None:
        """What promotion asks of a loaded version beyond loading: None when it passes, else the problem."""
        return None

    def changed(self, store: ModelStore[M]) -> None:
        """Called after every write of a version's metadata or of the pointer (e.g. to rewrite a server's config)."""


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


def recorded_files(name: str, version: str, files: object) -> dict[str, tuple[str, int | None]]:
    """{file name: (sha256, bytes or None)} from a version's metadata, or CorruptArtifactError when the map is not
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
        size = expected.get("bytes") if isinstance(expected, dict) else None
        checked[path] = (digest, size if isinstance(size, int) else None)
    return checked


class ModelStore(Generic[M]):
    """Save, list, verify, load and promote versions of one model, in the artifact format given."""

    def __init__(self, blobs: BlobStore, name: str, artifact: ArtifactFormat[M]) -> None:
        self.blobs = blobs
        self.name = name
        self.artifact = artifact

    def _root(self) -> str:
        return "/".join(filter(None, (self.name, self.artifact.folder)))

    def _key(self, version: str, *parts: str) -> str:
        return "/".join((self._root(), version, *parts))

    def check_version(self, version: object) -> str:
        """A version as typed or as a pointer names it, else ModelNotFoundError."""
        problem = self.artifact.version_problem(str(version))
        if problem:
            raise ModelNotFoundError(f"{self.name} {problem}, got {version!r}")
        return check_version_name(self.name, version)

    def save(self, model: M, metadata: dict | None = None) -> str:
        """Store a version (artifact files first, metadata with their checksums last: a version whose
        upload failed has no metadata, so it is never listed or promoted); does not promote it."""
        files = self.artifact.dump(model)
        version = self.artifact.new_version(model, self)
        for path, data in files.items():
            self.blobs.put(self._key(version, path), data)
        self._write_metadata(version, self.artifact.describe(model, version, metadata, files))
        return version

    def update_promotion(self, version: str, promotion: dict) -> None:
        """Replace a saved version's promotion decision (its metadata is rewritten whole)."""
        self._write_metadata(version, self.metadata(version) | {"promotion": promotion})

    def _write_metadata(self, version: str, metadata: dict) -> None:
        self.blobs.put(self._key(version, METADATA_FILE), json.dumps(metadata, indent=2).encode())
        self.artifact.changed(self)

    def _read(self, version: str, path: str, missing: RegistryError) -> bytes:
        """A file of a version; ``missing`` is raised when it is absent, a damaged store names the problem."""
        try:
            return self.blobs.get(self._key(version, path))
        except KeyError:
            raise missing from None
        except BlobError as error:
            raise CorruptArtifactError(f"{self.name} version {version}: {error}; promote another version") from None

    def metadata(self, version: str) -> dict:
        version = self.check_version(version)
        missing = ModelNotFoundError(
            f"{self.name} has no complete version {version!r}; `shot-platform models list` shows the versions"
        )
        data = self._read(version, METADATA_FILE, missing)
        try:
            metadata = json.loads(data)
        except ValueError as error:
            raise CorruptArtifactError(f"{self.name} version {version}: metadata.json is not valid JSON") from error
        if not isinstance(metadata, dict):
            raise CorruptArtifactError(f"{self.name} version {version}: metadata.json is not a JSON object")
        return metadata

    def _listing(self) -> list[tuple[str, str]]:
        """(version directory, relative path) of every key under the versions, complete or not."""
        root = self._root() + "/"
        try:
            keys = self.blobs.list(self._root())
        except BlobError as error:
            raise RegistryError(f"{self.name} registry is damaged: {error}") from None
        return [tuple(key.removeprefix(root).partition("/")[::2]) for key in keys if key.startswith(root)]

    def versions(self) -> list[str]:
        """Complete versions (those with metadata.json), oldest first."""
        found = {
            version
            for version, relative in self._listing()
            if relative == METADATA_FILE and self.artifact.version_problem(version) is None
        }
        return sorted(found, key=self.artifact.order)

    def next_version(self) -> str:
        """One above every numbered version directory, complete or not: a number is never reused (nor
        one that TF Serving would read from a stray name such as ``02``)."""
        names = {version for version, _ in self._listing()}
        return str(max((int(name) for name in names if name.isascii() and name.isdigit()), default=0) + 1)

    def _verified_files(self, version: str, metadata: dict) -> dict[str, bytes]:
        """The version's artifact files, each checked against the sha256 recorded at save."""
        recorded = self.artifact.recorded(self.name, version, metadata)
        if recorded is None:  # saved before checksums were recorded: only loading can verify it
            prefix = self._key(version) + "/"
            try:
                listed = self.blobs.list(prefix.rstrip("/"))
                keys = [key for key in listed if key.startswith(prefix) and not key.endswith("/" + METADATA_FILE)]
                return {key.removeprefix(prefix): self.blobs.get(key) for key in keys}
            except (BlobError, KeyError) as error:
                raise CorruptArtifactError(f"{self.name} version {version}: {error}; promote another version") from None
        files = {}
        for path, (expected, size) in recorded.items():
            missing = CorruptArtifactError(
                f"{self.name} version {version}: artifact file {path} is missing; promote another version"
            )
            data = self._read(version, path, missing)
            digest = sha256(data)
            if digest != expected:
                recorded_size = f"{size:,} recorded" if size is not None else "size not recorded"
                raise ChecksumMismatchError(
                    f"{self.name} version {version}: artifact file {path} is damaged: it does not match its "
                    f"recorded sha256 ({len(data):,} bytes, {recorded_size}; sha256 {digest[:12]}… instead of "
                    f"{expected[:12]}…); promote another version or retrain"
                )
            files[path] = data
        return files

    def load(self, version: str | None = None, destination: Path | None = None) -> M:
        """A version, or the champion when ``version`` is None; its files are verified first.
        ``destination``: where a directory format writes its copy (a temporary directory when None)."""
        if version is None:
            pointer = self.champion_pointer()
            if pointer.version is None:
                raise ModelNotFoundError(self._no_champion_message(pointer))
            version = pointer.version
        metadata = self.metadata(version)
        files = self._verified_files(version, metadata)
        try:
            return self.artifact.load(files, metadata, destination)
        except RegistryError:
            raise
        except Exception as error:
            raise CorruptArtifactError(
                f"{self.name} version {version} does not load as {self.artifact.name} "
                f"({one_line(error)}); promote another version or retrain"
            ) from error

    def _no_champion_message(self, pointer: ChampionPointer) -> str:
        if pointer.damaged:
            return f"{pointer.problem}. Repair it with `shot-platform models promote --model {self.name} VERSION`"
        return f"{self.name} has no champion yet in {self.blobs.describe()}: train one with `shot-platform materialize`"

    def _pointer_key(self) -> str:
        return f"{self.name}/{CHAMPION_FILE}"

    def local_path(self, version: str) -> Path | None:
        """Where a version lives on local disk (e.g. the directory TF Serving loads), if it does."""
        if isinstance(self.blobs, LocalBlobStore):
            return self.blobs.root / self._key(str(version))
        return None

    def champion_pointer(self) -> ChampionPointer:
        """The pointer and whether it is usable. Never raises for a damaged pointer; the
        blob store being unreachable still raises (that is not damage)."""
        where = f"{self.name} champion pointer ({self.blobs.describe()}/{self._pointer_key()})"
        try:
            data = self.blobs.get(self._pointer_key())
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
            self.metadata(version)
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

    def verify(self, version: str) -> None:
        """What promotion requires: the version's checksums, its loading, and the format's check."""
        problem = self.artifact.promotion_check(self.load(version))
        if problem:
            raise CorruptArtifactError(
                f"{self.name} version {version} does not load as {self.artifact.name} ({problem}); promote another "
                "version or retrain"
            )

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
            self.blobs.put(self._pointer_key(), json.dumps(record, indent=2).encode())
        except BlobError as error:
            raise RegistryError(f"cannot write the {self.name} champion pointer: {error}") from None
        self.artifact.changed(self)
        return record


def open_model_store(
    location: str, name: str, artifact: ArtifactFormat[M], s3_endpoint_url: str | None = None
) -> ModelStore[M]:
    """The model store at a directory or ``s3://bucket/prefix`` (settings: SHOT_PLATFORM_MODEL_STORE)."""
    return ModelStore(open_blob_store(location, s3_endpoint_url), name, artifact)
