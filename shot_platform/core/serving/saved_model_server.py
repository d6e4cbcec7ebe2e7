"""Serve a SavedModel's champion (and its canary) and follow promotions without a restart.

The loading policy of the :class:`~shot_platform.core.serving.watcher.ChampionWatcher` for
SavedModels: the watcher's daemon thread polls the champion pointer; when it moves, the new version
is fetched (checksums verified), loaded with ``tf.saved_model.load`` and warmed up *off the request
path*, then one reference is swapped. Requests in flight finish on the version they started with.
TensorFlow is imported only once a champion exists, so a service without one never pays for it.
If the store is unreachable or the new version does not load, the current version keeps serving
and the failure is reported in the model's status (TF Serving's ``GET /v1/models/<name>``) and in ``/readyz``.

The watcher's :meth:`status` names the served version, the registry's champion, whether they
disagree (``diverged``: also for a damaged pointer) and the last error. A version that failed to
load is not fetched again until the pointer is rewritten (``shot-platform models promote`` writes
a new record even for the same version).

The same poll keeps the registry's canary loaded beside the champion (TF Serving's version labels,
:func:`~shot_platform.core.serving.tf_serving_config.version_labels`): ``stable`` names the served
champion and ``canary`` the loaded canary, so a label only ever names a loaded version, as TF
Serving only moves a label to a version it has loaded. A canary that does not load is reported once
(``canary_error`` in ``/readyz``, one WARNING) and retried only when the canary changes; it never
delays or blocks the champion. At most two versions are loaded: a version that is neither the
champion nor the canary is unloaded, and before a new champion is loaded the canary is let go (it
is loaded again in the same poll if it still is the canary), so a swap never holds three.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass

from shot_platform.core.model_store import ChampionPointer, CorruptArtifactError, one_line
from shot_platform.core.saved_model_store import SavedModelStore
from shot_platform.core.serving.tf_runtime import LoadedSavedModel
from shot_platform.core.serving.tf_serving_config import CANARY, STABLE, version_labels
from shot_platform.core.serving.watcher import ChampionWatcher, ServingProblem

log = logging.getLogger(__name__)

# TF Serving's ModelVersionStatus.State names.
LOADING, AVAILABLE, END = "LOADING", "AVAILABLE", "END"


@dataclass(frozen=True)
class VersionStatus:
    """What TF Serving's status API reports for one version: state plus an error code and message."""

    state: str
    error_code: str = "OK"
    error_message: str = ""


@dataclass(frozen=True)
class Loaded:
    """What serves requests, swapped as one reference so that a request sees one consistent pair."""

    champion: LoadedSavedModel | None = None
    canary: LoadedSavedModel | None = None

    @property
    def labels(self) -> dict[str, int]:
        """TF Serving's version labels of the loaded versions."""
        labels = {STABLE: self.champion.version} if self.champion else {}
        return labels | ({CANARY: self.canary.version} if self.canary else {})

    def version(self, number: int) -> LoadedSavedModel | None:
        return next((m for m in (self.champion, self.canary) if m is not None and m.version == number), None)


class SavedModelServer(ChampionWatcher):
    """The served version of one SavedModel, and the states of every version this process touched."""

    def __init__(
        self,
        store: SavedModelStore,
        interval_s: float = 5.0,
        on_swap: Callable[[LoadedSavedModel], None] | None = None,
        on_status: Callable[[dict], None] | None = None,
    ) -> None:
        super().__init__(store, interval_s, on_status, version_type=int)
        self.store, self.on_swap = store, on_swap
        self._loaded = Loaded()
        self.statuses: dict[int, VersionStatus] = {}
        self._failed: tuple[str, str, str] | None = None  # (version, pointer record, error) of a failed load
        self.canary_error: str | None = None
        self._canary_failed: tuple[int, str, str] | None = None  # (version, pointer record, error) of a failed load
        self._canary_reported: tuple | None = None

    @property
    def model(self) -> LoadedSavedModel | None:
        """The champion: what the routes without a version or label answer with."""
        return self._loaded.champion

    @property
    def version(self) -> int | None:
        champion = self._loaded.champion
        return champion.version if champion else None

    @property
    def canary(self) -> LoadedSavedModel | None:
        return self._loaded.canary

    @property
    def labels(self) -> dict[str, int]:
        """``{"stable": champion, "canary": version}`` as loaded at the last poll."""
        return self._loaded.labels

    def by_version(self, number: int) -> LoadedSavedModel | None:
        """A loaded version (the champion or the canary), else None."""
        return self._loaded.version(number)

    def by_label(self, label: str) -> LoadedSavedModel | None:
        """The version a label names (case-sensitive, as TF Serving's label map), else None."""
        loaded = self._loaded
        number = loaded.labels.get(label)
        return loaded.version(number) if number is not None else None

    def follow(self, pointer: ChampionPointer) -> bool:
        record = json.dumps(pointer.record, sort_keys=True)
        try:
            return self._follow_champion(str(pointer.version), record)
        finally:
            # Without a served champion no canary is loaded: its version would be the only AVAILABLE
            # one, which a client of the unlabelled status (the highest AVAILABLE version) would take
            # for the champion.
            if self._loaded.champion is not None:
                self._follow_canary(int(str(pointer.version)), record)

    def _follow_champion(self, version: str, record: str) -> bool:
        number = int(version)
        current = self._loaded.champion
        if current is not None and current.version == number:
            self._failed = None
            return False
        failed = self._failed
        if failed is not None and failed[:2] == (version, record):
            raise ServingProblem(failed[2])  # the same pointer at the same failing version: nothing to fetch
        canary = self._loaded.canary
        if canary is not None and canary.version == number:  # the canary promoted: already loaded
            model = canary
            self._set(Loaded(model, None))
        else:
            if canary is not None:  # at most two loaded: the serving champion and the one loading
                self._set(Loaded(current, None))
            model = self._load(number)
            if model is None:
                self._failed = (
                    version,
                    record,
                    f"version {version} did not load: {self.statuses[number].error_message}",
                )
                raise ServingProblem(self._failed[2])
            self._set(Loaded(model, None))
        self.statuses[number] = VersionStatus(AVAILABLE)
        self._failed = None
        log.info("%s: serving version %s", self.name, number)
        if self.on_swap:
            self.on_swap(model)
        return True

    def _load(self, number: int) -> LoadedSavedModel | None:
        """Fetch (checksums verified) and load one version; None when it fails (in its status)."""
        self.statuses[number] = VersionStatus(LOADING)
        path = None
        try:
            path = self.store.load(str(number))
            return LoadedSavedModel.load(self.name, number, path)
        except Exception as error:
            code = "DATA_LOSS" if isinstance(error, CorruptArtifactError) else "UNKNOWN"
            self.statuses[number] = VersionStatus(END, code, one_line(error))
            if path is not None:
                shutil.rmtree(path, ignore_errors=True)
            return None

    def _set(self, loaded: Loaded) -> None:
        """Swap what serves; a version no longer in it is unloaded (requests in flight keep their
        reference until they finish)."""
        before, self._loaded = self._loaded, loaded
        for model in (before.champion, before.canary):
            if model is not None and loaded.version(model.version) is None:
                self.statuses[model.version] = VersionStatus(END)
                # The variables were read into memory by tf.saved_model.load: the copy is not needed.
                shutil.rmtree(model.path, ignore_errors=True)

    def _follow_canary(self, champion: int, record: str) -> None:
        """Load the registry's canary beside the champion, or unload one that is no longer it.
        A canary that failed is tried again when it changes or the pointer is rewritten (``record``)."""
        try:
            labels = version_labels(self.store)
        except Exception as error:  # the store listing failed: the loaded canary stays, retried next poll
            self.canary_error = f"cannot list the versions to find the canary: {one_line(error)}"
            return
        if labels.get(STABLE) != champion:  # promoted between the two reads: the next poll sees both
            return
        wanted = labels.get(CANARY)
        loaded = self._loaded
        if loaded.canary is not None and loaded.canary.version == wanted:
            self.canary_error = None
            return
        failed = self._canary_failed
        if wanted is None or (failed is not None and (wanted, record) == failed[:2]):
            if loaded.canary is not None:
                self._set(Loaded(loaded.champion, None))
            if wanted is None:
                self.canary_error, self._canary_failed = None, None
            else:  # the same failing canary: the error stands, nothing to fetch
                self.canary_error = failed[2] if failed else None
            return
        if loaded.canary is not None:  # the old canary goes before the new one loads
            self._set(Loaded(loaded.champion, None))
        model = loaded.version(wanted) or self._load(wanted)  # the served champion may be the canary
        if model is None:
            self.canary_error = f"canary version {wanted} did not load: {self.statuses[wanted].error_message}"
            self._canary_failed = (wanted, record, self.canary_error)
            return
        self._set(Loaded(self._loaded.champion, model))
        self.statuses[wanted] = VersionStatus(AVAILABLE)
        self.canary_error, self._canary_failed = None, None

    def _report_canary(self) -> None:
        """The canary's failures as a WARNING once per change, its new version as INFO."""
        key = (self.canary.version if self.canary else None, self.canary_error)
        if key == self._canary_reported:
            return
        self._canary_reported = key
        if self.canary_error:
            log.warning("%s: %s; the champion keeps serving", self.name, self.canary_error)
        elif key[0] is not None:
            log.info("%s: canary version %s loaded", self.name, key[0])

    def after_poll(self) -> None:
        self._report_canary()

    def readiness(self) -> dict:
        """This model's entry in ``/readyz``, with its canary."""
        report = super().readiness()
        if self.canary is not None:
            report["canary_version"] = self.canary.version
        if self.canary_error:
            report["canary_error"] = self.canary_error
        return report
