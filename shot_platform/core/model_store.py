"""Versioned models with a champion pointer (like an MLflow alias).

Layout under the blob store::

    <name>/versions/<version>/model.joblib
    <name>/versions/<version>/metadata.json   written last: a version without it is incomplete
    <name>/champion.json                      the pointer; promotion and rollback rewrite it

A partially written version has no metadata.json, so it is never listed and
can never be promoted.
"""

from __future__ import annotations

import datetime as dt
import json

from shot_platform.core.blobs import BlobStore, open_blob_store
from shot_platform.shots.models.artifact import ShotModel

MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
CHAMPION_FILE = "champion.json"


class ModelNotFoundError(LookupError):
    """No such (complete) version, or no champion yet."""


class ModelStore:
    """Save, list, load and promote versions of one model."""

    def __init__(self, blobs: BlobStore, name: str = "shot_model") -> None:
        self.blobs = blobs
        self.name = name

    def _key(self, *parts: str) -> str:
        return "/".join((self.name, *parts))

    def save(self, model: ShotModel) -> str:
        """Store a version (model bytes first, metadata last); does not promote it."""
        self.blobs.put(self._key("versions", model.version, MODEL_FILE), model.to_bytes())
        self._write_metadata(model.version, model.metadata)
        return model.version

    def update_promotion(self, version: str, promotion: dict) -> None:
        """Replace a saved version's promotion decision (its metadata is rewritten whole)."""
        self._write_metadata(version, self.metadata(version) | {"promotion": promotion})

    def _write_metadata(self, version: str, metadata: dict) -> None:
        self.blobs.put(self._key("versions", version, METADATA_FILE), json.dumps(metadata, indent=2).encode())

    def metadata(self, version: str) -> dict:
        try:
            return json.loads(self.blobs.get(self._key("versions", version, METADATA_FILE)))
        except KeyError as error:
            raise ModelNotFoundError(f"{self.name} has no complete version {version!r}") from error

    def versions(self) -> list[str]:
        """Complete versions, oldest first."""
        suffix = "/" + METADATA_FILE
        keys = self.blobs.list(self._key("versions"))
        return sorted(key.split("/")[-2] for key in keys if key.endswith(suffix))

    def load(self, version: str | None = None) -> ShotModel:
        """A version, or the champion when ``version`` is None."""
        version = version or self.champion_version()
        if version is None:
            raise ModelNotFoundError(
                f"{self.name} has no champion yet in {self.blobs.describe()}: "
                "train one with `shot-platform materialize`"
            )
        metadata = self.metadata(version)
        data = self.blobs.get(self._key("versions", version, MODEL_FILE))
        return ShotModel.from_bytes(data, metadata)

    def champion(self) -> dict | None:
        """The pointer record: version, promoted_at, reason, previous."""
        try:
            return json.loads(self.blobs.get(self._key(CHAMPION_FILE)))
        except KeyError:
            return None

    def champion_version(self) -> str | None:
        record = self.champion()
        return record["version"] if record else None

    def promote(self, version: str, reason: str) -> dict:
        """Point the champion at a complete version, in one atomic write."""
        self.metadata(version)  # raises for unknown or incomplete versions
        record = {
            "version": version,
            "promoted_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "reason": reason,
            "previous": self.champion_version(),
        }
        self.blobs.put(self._key(CHAMPION_FILE), json.dumps(record, indent=2).encode())
        return record


def open_model_store(location: str, s3_endpoint_url: str | None = None, name: str = "shot_model") -> ModelStore:
    """The model store at a directory or ``s3://bucket/prefix`` (settings: SHOT_PLATFORM_MODEL_STORE)."""
    return ModelStore(open_blob_store(location, s3_endpoint_url), name)
