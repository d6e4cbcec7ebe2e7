"""Stock TensorFlow Serving's model config, written from a SavedModel registry.

The model store already keeps TF Serving's layout (``<name>/<version>/saved_model.pb``); this module
adds the ``ModelServerConfig`` text file TF Serving reads with ``--model_config_file`` and re-reads
every ``--model_config_file_poll_wait_seconds`` (TF Serving's ``g3doc/serving_config.md``):

    <name>/models.config     next to the versions; TF Serving ignores names that are not numbers

It keeps exactly two versions loaded (``model_version_policy { specific { ... } }``) and names them
with TF Serving's version labels:

* ``stable``: the champion (``champion.json``);
* ``canary``: the newest version above the champion that the retraining gate judged and did not
  promote although it beat the base rate (:func:`is_canary`); absent when there is none.

:class:`~shot_platform.core.saved_model_store.SavedModelStore` rewrites the file on every save,
promotion and promotion-record update, so a promotion moves ``stable`` without a restart. The file
is one blob write: a temp file renamed over the old one on a local store, one PUT on S3, so TF
Serving never reads half a config. Without a usable champion nothing is written and the previous
file stays (TF Serving keeps serving what it has).

Stock TF Serving images cannot read ``s3://`` since 2.7 (tensorflow/serving#1963, #2062), so an S3
store is copied to a local directory by :func:`sync_to_directory` (``python -m
shot_platform.core.serving.tf_serving_config --sync-to DIR --every 5``), verified version by
version. Given TF Serving's URL, the sync also moves a label only once TF Serving has loaded its new
version (:func:`phase_labels`): TF Serving refuses a config that moves a label to a version it has
not loaded. The file in the store always names the registry's labels as they are.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import requests

from shot_platform.core.blobs import BlobError, LocalBlobStore
from shot_platform.core.model_store import CorruptArtifactError, ModelNotFoundError, RegistryError
from shot_platform.core.settings import TF_SERVING_BASE_PATH_ENV, Settings

if TYPE_CHECKING:
    from shot_platform.core.saved_model_store import SavedModelStore

CONFIG_FILE = "models.config"
STABLE = "stable"
CANARY = "canary"
# Where TF Serving reads the model's versions from, when that is not where the platform writes
# them (a container mounting the store elsewhere, or the synced copy of an S3 store).
BASE_PATH_ENV = TF_SERVING_BASE_PATH_ENV
DEFAULT_CONTAINER_BASE = "/models"  # the tensorflow/serving image's convention (g3doc/docker.md)
LABELS_FILE = ".labels.json"  # what the synced config labels (hidden: TF Serving ignores it)
STATUS_TIMEOUT_S = 5.0
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


class ServingConfigError(RegistryError):
    """The TF Serving config cannot be written (the message says what to do)."""


def is_canary(metadata: dict) -> bool:
    """A challenger the gate judged and did not promote although it beat the base rate.

    ``flow.retrain`` records the decision in the version's metadata: ``promotion.promoted`` False
    and ``metrics.log_loss`` below ``metrics.base_rate_log_loss`` means it passed the gate's sanity
    check and lost (only) to the champion. A version that was promoted and later rolled back, one
    whose promotion failed its checks, one no better than the base rate, and one saved without a
    decision (an import) are not canaries.
    """
    promotion = metadata.get("promotion")
    metrics = metadata.get("metrics")
    if not isinstance(promotion, dict) or promotion.get("promoted") is not False or not isinstance(metrics, dict):
        return False
    loss, base = metrics.get("log_loss"), metrics.get("base_rate_log_loss")
    numbers = all(isinstance(x, int | float) and not isinstance(x, bool) and x == x for x in (loss, base))
    return numbers and loss < base


def version_labels(models: SavedModelStore) -> dict[str, int]:
    """TF Serving's version labels from the registry: ``{"stable": champion, "canary": version}``.

    ``stable`` is the champion; ``canary`` (only when there is one) the newest version above the
    champion for which :func:`is_canary` holds. ``{}`` without a usable champion (none yet, or a
    damaged pointer). A version whose metadata cannot be read is skipped, never labelled.

    For the REST side (``/v1/models/<name>/labels/<label>[:predict|/metadata]``): resolve the label
    with ``version_labels(models).get(label)`` on each request (it reads ``champion.json`` and the
    metadata of the versions above the champion, so a promotion moves the label at once); ``None``
    is TF Serving's answer for an unknown label, 400 ``Unrecognized servable version label: <label>``.
    Then answer ``:predict`` and ``/metadata`` exactly as for ``/versions/<version>`` (TF Serving's
    metadata names the resolved version in ``model_spec.version``). Status by label is TF Serving's
    status of every version: its ``GetModelStatus`` ignores the label. Raises RegistryError when the
    store itself cannot be listed.
    """
    champion = models.champion_version()
    if champion is None:
        return {}
    labels = {STABLE: int(champion)}
    for version in sorted((int(v) for v in models.versions()), reverse=True):
        if version <= int(champion):
            break
        try:
            metadata = models.metadata(str(version))
        except (CorruptArtifactError, ModelNotFoundError):  # damaged or vanished: never served by label
            continue
        if is_canary(metadata):
            labels[CANARY] = version
            break
    return labels


def _quoted(value: str, what: str) -> str:
    """A protobuf text-format string literal; control characters are refused, not escaped, since
    no real name or path holds them."""
    if not value or _UNPRINTABLE.search(value):
        raise ServingConfigError(
            f"the TF Serving {what} {value!r} is empty or holds a control character: "
            f"set {BASE_PATH_ENV} to a plain path"
        )
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_config(name: str, base_path: str, labels: dict[str, int], loaded: Iterable[int] = ()) -> str:
    """The ``ModelServerConfig`` text: one model, the labelled versions (and ``loaded``) kept
    loaded, the labels."""
    if STABLE not in labels:
        raise ServingConfigError(f"{name} has no champion: promote a version before writing a TF Serving config")
    if not base_path.startswith("/"):
        raise ServingConfigError(f"TF Serving's base_path must be absolute, got {base_path!r}: set {BASE_PATH_ENV}")
    versions = sorted(set(labels.values()) | set(loaded))
    lines = [
        f"# Written by shot_platform from the {name} registry; every save and promotion rewrites it.",
        "model_config_list {",
        "  config {",
        f"    name: {_quoted(name, 'model name')}",
        f"    base_path: {_quoted(base_path, 'base path')}",
        '    model_platform: "tensorflow"',
        "    model_version_policy {",
        "      specific {",
        *(f"        versions: {version}" for version in versions),
        "      }",
        "    }",
    ]
    for label in (STABLE, CANARY):
        if label in labels:
            lines += ["    version_labels {", f'      key: "{label}"', f"      value: {labels[label]}", "    }"]
    return "\n".join([*lines, "  }", "}", ""])


def base_path_for(models: SavedModelStore) -> str:
    """Where TF Serving finds the versions: ``SHOT_PLATFORM_TF_SERVING_BASE_PATH``, else the local
    store's own directory, else ``/models/<name>`` (the synced copy of an S3 store, mounted there)."""
    configured = Settings.from_env().tf_serving_base_path
    if configured:
        return configured.rstrip("/") or "/"
    if isinstance(models.blobs, LocalBlobStore):
        return str((models.blobs.root / models.name).resolve())
    return f"{DEFAULT_CONTAINER_BASE}/{models.name}"


def write_model_config(models: SavedModelStore, base_path: str | None = None) -> dict[str, int]:
    """Write ``<name>/models.config`` in the model store from the registry; returns the labels.
    Nothing is written (and ``{}`` returned) without a usable champion."""
    labels = version_labels(models)
    if STABLE not in labels:
        return {}
    text = render_config(models.name, base_path or base_path_for(models), labels)
    try:
        models.blobs.put(f"{models.name}/{CONFIG_FILE}", text.encode())
    except BlobError as error:
        raise ServingConfigError(
            f"cannot write {models.name}/{CONFIG_FILE} in {models.blobs.describe()} ({error}); fix the store, then "
            "rewrite it with `python -m shot_platform.core.serving.tf_serving_config`"
        ) from None
    return labels


def phase_labels(
    wanted: dict[str, int], previous: dict[str, int], available: set[int] | None
) -> tuple[dict[str, int], set[int]]:
    """The labels to write now and the versions to keep loaded, so TF Serving accepts the config.

    TF Serving refuses to move an existing label to a version it has not loaded yet, even with
    ``--allow_version_labels_for_unavailable_models`` (that flag covers new labels only), and a
    refused reload also leaves the new version unloaded (``ServerCore::ReloadConfig`` stores the
    config before ``UpdateModelVersionLabelMap`` fails). So a label whose version is not yet
    AVAILABLE stays where it was, its old version stays loaded beside the new one, and the next
    sync moves it. ``available`` None: no TF Serving to ask, the wanted labels as they are.
    """
    labels = {}
    for label, version in wanted.items():
        before = previous.get(label)
        held = available is not None and before is not None and before != version and version not in available
        labels[label] = before if held else version
    return labels, set(wanted.values()) | set(labels.values())


def available_versions(tf_serving_url: str, name: str, timeout_s: float = STATUS_TIMEOUT_S) -> set[int]:
    """The versions TF Serving reports AVAILABLE (``GET /v1/models/<name>``); empty when it cannot
    be asked (down, starting, or answering something else)."""
    try:
        response = requests.get(f"{tf_serving_url.rstrip('/')}/v1/models/{name}", timeout=timeout_s)
        statuses = response.json()["model_version_status"] if response.status_code == 200 else []
        return {int(s["version"]) for s in statuses if s.get("state") == "AVAILABLE" and str(s["version"]).isdigit()}
    except (requests.RequestException, ValueError, KeyError, TypeError, AttributeError):
        return set()


def _previous_labels(target: Path) -> dict[str, int]:
    try:
        recorded = json.loads((target / LABELS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(recorded, dict):
        return {}
    return {k: v for k, v in recorded.items() if k in (STABLE, CANARY) and isinstance(v, int) and v > 0}


def sync_to_directory(
    models: SavedModelStore, directory: str | Path, base_path: str | None = None, tf_serving_url: str | None = None
) -> dict[str, int]:
    """Copy the labelled versions (checksums verified) into ``<directory>/<name>/<version>`` and
    write ``models.config`` there last, for a TF Serving that cannot read the store (S3), or that
    should move labels only to versions it has loaded (``tf_serving_url``: see :func:`phase_labels`).

    A version is copied into a hidden directory and renamed into place, so TF Serving never sees a
    version without all its files. Versions no longer labelled are left on disk (TF Serving
    unloads them by the config); remove them by hand when space matters. Returns the labels written.
    """
    target = Path(directory) / models.name
    target.mkdir(parents=True, exist_ok=True)
    wanted = version_labels(models)
    if STABLE not in wanted:
        return {}
    for label, version in sorted(wanted.items(), key=lambda item: item[0] != STABLE):
        final = target / str(version)
        if final.is_dir():  # versions are immutable once saved
            continue
        incoming = target / f".incoming-{version}"
        shutil.rmtree(incoming, ignore_errors=True)
        try:
            models.load(str(version), incoming)
            incoming.rename(final)
        except RegistryError:
            if label == STABLE:  # the previous config (and what TF Serving serves) stays
                raise
            del wanted[label]  # a damaged canary is not served; the champion still is
        finally:
            shutil.rmtree(incoming, ignore_errors=True)
    available = available_versions(tf_serving_url, models.name) if tf_serving_url else None
    labels, loaded = phase_labels(wanted, _previous_labels(target), available)
    written = LocalBlobStore(target)
    written.put(CONFIG_FILE, render_config(models.name, base_path or str(target.resolve()), labels, loaded).encode())
    written.put(LABELS_FILE, json.dumps(labels).encode())
    return labels
