"""Byte storage under keys: a local directory by default (S3 in production).

Writes are atomic per key (temp file + rename), which is what makes the
champion pointer safe to move while a service reads it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol


class BlobStore(Protocol):
    """The few operations the model store needs."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...  # raises KeyError when absent

    def list(self, prefix: str) -> list[str]: ...

    def describe(self) -> str: ...


class LocalBlobStore:
    """Keys are relative paths below ``root``."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def put(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return (self.root / key).read_bytes()
        except FileNotFoundError as error:
            raise KeyError(key) from error

    def list(self, prefix: str) -> list[str]:
        base = self.root / prefix
        if not base.exists():
            return []
        return sorted(
            str(path.relative_to(self.root))
            for path in base.rglob("*")
            if path.is_file() and not path.name.startswith(".")
        )

    def describe(self) -> str:
        return str(self.root)


class S3BlobStore:
    """Keys below ``s3://bucket/prefix``. A single PUT is atomic, so the champion
    pointer is never seen half-written; a model is uploaded before its metadata."""

    def __init__(self, client, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix.strip("/")

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise KeyError(key) from error
            raise

    def list(self, prefix: str) -> list[str]:
        strip = len(self.prefix) + 1 if self.prefix else 0
        keys = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
            keys.extend(item["Key"][strip:] for item in page.get("Contents", []))
        return sorted(keys)

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def open_blob_store(location: str, s3_endpoint_url: str | None = None) -> BlobStore:
    """``s3://bucket/prefix`` through dagster-aws's S3 resource, anything else a local directory."""
    if location.startswith("s3://"):
        from dagster_aws.s3 import S3Resource

        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        client = S3Resource(endpoint_url=s3_endpoint_url).get_client()
        return S3BlobStore(client, bucket, prefix)
    return LocalBlobStore(location)
