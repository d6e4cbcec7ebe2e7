"""Serve a SavedModel's champion and follow promotions without a restart.

The counterpart of :class:`~shot_platform.core.serving.state.StateWatcher` for SavedModels: a daemon
thread polls the champion pointer; when it moves, the new version is fetched (checksums verified),
loaded with ``tf.saved_model.load`` and warmed up *off the request path*, then one reference is
swapped. Requests in flight finish on the version they started with. TensorFlow is imported only
once a champion exists, so a service without one never pays for it. If the store is unreachable
or the new version does not load, the current version keeps serving and the failure is reported
in the model's status (TF Serving's ``GET /v1/models/<name>``) and in ``/readyz``.

Like the shot model's :class:`~shot_platform.core.serving.state.StateWatcher`, :meth:`status`
names the served version, the registry's champion, whether they disagree (``diverged``: also for
a damaged pointer) and the last error; a WARNING is logged once per change of that situation,
not at every poll. A version that failed to load is not fetched again until the pointer is
rewritten (``shot-platform models promote`` writes a new record even for the same version).
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass

from shot_platform.core.model_store import CorruptArtifactError, one_line
from shot_platform.core.saved_model_store import SavedModelStore
from shot_platform.core.serving.tf_runtime import LoadedSavedModel

log = logging.getLogger(__name__)

# TF Serving's ModelVersionStatus.State names.
LOADING, AVAILABLE, END = "LOADING", "AVAILABLE", "END"


@dataclass(frozen=True)
class VersionStatus:
    """What TF Serving's status API reports for one version: state plus an error code and message."""

    state: str
    error_code: str = "OK"
    error_message: str = ""


class SavedModelServer:
    """The served version of one SavedModel, and the states of every version this process touched."""

    def __init__(
        self,
        store: SavedModelStore,
        interval_s: float = 5.0,
        on_swap: Callable[[LoadedSavedModel], None] | None = None,
        on_status: Callable[[dict], None] | None = None,
    ) -> None:
        self.store, self.interval_s, self.on_swap, self.on_status = store, interval_s, on_swap, on_status
        self._model: LoadedSavedModel | None = None
        self.statuses: dict[int, VersionStatus] = {}
        self.champion_known = False  # the store had a champion at the last successful poll
        self.registry_champion: int | None = None
        self.last_error: str | None = None
        self._failed: tuple[str, str] | None = None  # (version, pointer record) whose load failed
        self._reported: tuple | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{store.name}-watcher", daemon=True)

    @property
    def name(self) -> str:
        return self.store.name

    @property
    def model(self) -> LoadedSavedModel | None:
        return self._model

    def start(self) -> SavedModelServer:
        self.refresh()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.refresh()

    def refresh(self) -> bool:
        """One poll: returns True when a new version was swapped in."""
        try:
            swapped = self._poll()
        finally:
            self._report()
        return swapped

    def _poll(self) -> bool:
        try:
            pointer = self.store.champion_pointer()
        except Exception as error:  # unreachable is not damage: retried at every poll, reported once
            self.last_error = f"model store unreachable: {one_line(error)}"
            return False
        version = pointer.version
        self.champion_known = version is not None
        self.registry_champion = int(version) if version is not None else None
        if version is None:
            self.last_error = f"no usable champion: {pointer.problem}" if pointer.damaged else None
            return False
        current = self._model
        if current is not None and current.version == int(version):
            self.last_error, self._failed = None, None
            return False
        attempt = (version, json.dumps(pointer.record, sort_keys=True))
        if attempt == self._failed:
            return False  # the same pointer at the same failing version: the error stands, nothing to fetch
        number = int(version)
        self.statuses[number] = VersionStatus(LOADING)
        path = None
        try:
            path = self.store.load(version)
            model = LoadedSavedModel.load(self.name, number, path)
        except Exception as error:
            code = "DATA_LOSS" if isinstance(error, CorruptArtifactError) else "UNKNOWN"
            self.statuses[number] = VersionStatus(END, code, one_line(error))
            self.last_error = f"version {version} did not load: {one_line(error)}"
            self._failed = attempt
            if path is not None:
                shutil.rmtree(path, ignore_errors=True)
            return False
        self._model = model
        self.statuses[number] = VersionStatus(AVAILABLE)
        if current is not None:
            self.statuses[current.version] = VersionStatus(END)
            # The variables were read into memory by tf.saved_model.load: the copy is not needed.
            shutil.rmtree(current.path, ignore_errors=True)
        self.last_error, self._failed = None, None
        log.info("%s: serving version %s", self.name, number)
        if self.on_swap:
            self.on_swap(model)
        return True

    def status(self) -> dict:
        """Served version, registry champion, last error, and whether they disagree."""
        served = self.version
        diverged = self.last_error is not None or (served is not None and served != self.registry_champion)
        return {
            "served_version": served,
            "registry_champion": self.registry_champion,
            "diverged": diverged,
            "last_error": self.last_error,
        }

    def _report(self) -> None:
        """A WARNING when the served version stops matching the registry (once per change), INFO when it is back."""
        status = self.status()
        key = (status["served_version"], status["registry_champion"], status["last_error"])
        if key == self._reported:
            return
        first = self._reported is None
        self._reported = key
        if status["diverged"]:
            log.warning(
                "%s: serving %s but the registry's champion is %s: %s",
                self.name,
                status["served_version"] or "no version",
                status["registry_champion"] or "unusable",
                status["last_error"] or "not loaded yet",
            )
        elif not first and status["served_version"] is not None:
            log.info("%s: serving the registry's champion %s", self.name, status["served_version"])
        elif not first:
            log.info("%s: the registry has no champion (nothing trained yet): nothing to serve", self.name)
        if self.on_status:
            self.on_status(status)

    @property
    def version(self) -> int | None:
        return self._model.version if self._model else None

    def readiness(self) -> dict:
        """This model's entry in ``/readyz``."""
        if self._model is not None:
            state = "serving"
        elif self.champion_known:
            state = "loading failed" if self.last_error else "loading"
        else:
            state = "no model"
        report: dict = {"state": state, "version": self.version, **self.status()}
        if self.last_error:
            report["error"] = self.last_error
        return report
