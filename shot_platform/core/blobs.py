"""Byte storage under keys: a local directory by default (S3 in production).

Writes are atomic per key (temp file + rename), which is what makes the
champion pointer safe to move while a service reads it.

Keys come partly from outside (file names in a version's ``metadata.json``, versions typed on the
command line, keys listed from a bucket), so every key is checked by :func:`safe_key` before it
reaches a path or a request: relative, ``/``-separated, no empty, ``.`` or ``..`` segment, no
backslash, NUL or control character. On local disk the resolved path must also stay inside the
root, so a symlink leading out of the store is refused too.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol

MAX_KEY_CHARS = 1024  # S3's limit on a key (in UTF-8 bytes; the check below is on characters, and stricter)


class BlobError(ValueError):
    """Something is stored at a key but cannot be used as a blob (a directory, a file where a
    directory belongs, a symlink out of the store); the message names it."""


class UnsafeKeyError(BlobError):
    """A key that could name something outside its folder; refused before any path or request."""


def safe_key(key: object) -> str:
    """``key`` itself when it is a safe relative key, else :class:`UnsafeKeyError`."""
    if not isinstance(key, str) or not key:
        raise UnsafeKeyError(f"blob key {key!r} is not a non-empty string")
    if len(key) > MAX_KEY_CHARS:
        raise UnsafeKeyError(f"blob key {key[:40]!r}... is longer than {MAX_KEY_CHARS} characters")
    if any(ord(char) < 32 or ord(char) == 127 for char in key) or "\\" in key:
        raise UnsafeKeyError(f"blob key {key!r} holds a backslash or a control character")
    if key.startswith("/"):
        raise UnsafeKeyError(f"blob key {key!r} is absolute")
    if any(segment in ("", ".", "..") for segment in key.split("/")):
        raise UnsafeKeyError(f"blob key {key!r} has an empty, '.' or '..' segment")
    return key


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

    def _path(self, key: str) -> Path:
        """The path of a key, refused when it (or a symlink on its way) leads outside the root."""
        path = self.root / safe_key(key)
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise UnsafeKeyError(f"{path} leads outside the store {self.root} (a symlink): remove it")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        except (FileExistsError, NotADirectoryError) as error:
            raise BlobError(
                f"cannot write {path}: a file stands where a directory belongs ({error.filename})"
            ) from None
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        except IsADirectoryError:
            Path(temp).unlink(missing_ok=True)
            raise BlobError(f"cannot write {path}: it is a directory; move it away") from None
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError as error:  # absent, or a dangling link
            raise KeyError(key) from error
        except IsADirectoryError:
            raise BlobError(f"{path} is a directory, not a file") from None
        except NotADirectoryError:
            blocking = next((p for p in path.parents if p.exists() and not p.is_dir()), path.parent)
            raise BlobError(f"{blocking} is a file where a directory belongs: move it away") from None

    def list(self, prefix: str) -> list[str]:
        base = self._path(prefix)
        if not base.exists():
            return []
        if not base.is_dir():
            raise BlobError(f"{base} is a file where a directory belongs: move it away")
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
        self.client.put_object(Bucket=self.bucket, Key=self._key(safe_key(key)), Body=data)

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(safe_key(key)))["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise KeyError(key) from error
            raise

    def list(self, prefix: str) -> list[str]:
        strip = len(self.prefix) + 1 if self.prefix else 0
        keys = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(safe_key(prefix))):
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
