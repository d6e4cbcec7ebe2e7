"""Serve a SavedModel's champion and follow promotions without a restart.

The counterpart of :class:`~shot_platform.core.serving.state.StateWatcher` for SavedModels: a daemon
thread polls the champion pointer; when it moves, the new version is fetched (checksums verified),
loaded with ``tf.saved_model.load`` and warmed up *off the request path*, then one reference is
swapped. Requests in flight finish on the version they started with. TensorFlow is imported only
once a champion exists, so a service without one never pays for it. If the store is unreachable
or the new version does not load, the current version keeps serving and the failure is reported
in the model's status (TF Serving's ``GET /v1/models/<name>``) and in ``/readyz``.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass

from shot_platform.core.saved_model_store import ChecksumMismatchError, SavedModelStore
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
    ) -> None:
        self.store, self.interval_s, self.on_swap = store, interval_s, on_swap
        self._model: LoadedSavedModel | None = None
        self.statuses: dict[int, VersionStatus] = {}
        self.champion_known = False  # the store had a champion at the last successful poll
        self.last_error: str | None = None
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
            version = self.store.champion_version()
        except Exception as error:
            self.last_error = f"model store unreachable: {type(error).__name__}: {error}"
            log.warning("%s: %s; keeping version %s", self.name, self.last_error, self.version)
            return False
        self.champion_known = version is not None
        current = self._model
        if version is None or (current is not None and current.version == int(version)):
            self.last_error = None
            return False
        number = int(version)
        self.statuses[number] = VersionStatus(LOADING)
        path = None
        try:
            path = self.store.load(version)
            model = LoadedSavedModel.load(self.name, number, path)
        except Exception as error:
            code = "DATA_LOSS" if isinstance(error, ChecksumMismatchError) else "UNKNOWN"
            self.statuses[number] = VersionStatus(END, code, f"{type(error).__name__}: {error}")
            self.last_error = f"version {version} did not load: {error}"
            log.warning("%s: %s; keeping version %s", self.name, self.last_error, self.version)
            if path is not None:
                shutil.rmtree(path, ignore_errors=True)
            return False
        self._model = model
        self.statuses[number] = VersionStatus(AVAILABLE)
        if current is not None:
            self.statuses[current.version] = VersionStatus(END)
            # The variables were read into memory by tf.saved_model.load: the copy is not needed.
            shutil.rmtree(current.path, ignore_errors=True)
        self.last_error = None
        log.info("%s: serving version %s", self.name, number)
        if self.on_swap:
            self.on_swap(model)
        return True

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
        report: dict = {"state": state, "version": self.version}
        if self.last_error:
            report["error"] = self.last_error
        return report
