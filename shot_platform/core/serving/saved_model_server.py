"""Serve a SavedModel's champion (and its canary) and follow promotions without a restart.

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
import threading
from collections.abc import Callable
from dataclasses import dataclass

from shot_platform.core.model_store import ChampionPointer, CorruptArtifactError, one_line
from shot_platform.core.saved_model_store import SavedModelStore
from shot_platform.core.serving.tf_runtime import LoadedSavedModel
from shot_platform.core.serving.tf_serving_config import CANARY, STABLE, version_labels

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
        self._loaded = Loaded()
        self.statuses: dict[int, VersionStatus] = {}
        self.champion_known = False  # the store had a champion at the last successful poll
        self.registry_champion: int | None = None
        self.last_error: str | None = None
        self._failed: tuple[str, str] | None = None  # (version, pointer record) whose load failed
        self._reported: tuple | None = None
        self.canary_error: str | None = None
        self._canary_failed: tuple[int, str, str] | None = None  # (version, pointer record, error) of a failed load
        self._canary_reported: tuple | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{store.name}-watcher", daemon=True)

    @property
    def name(self) -> str:
        return self.store.name

    @property
    def model(self) -> LoadedSavedModel | None:
        """The champion: what the routes without a version or label answer with."""
        return self._loaded.champion

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
        """One poll: returns True when a new champion was swapped in."""
        try:
            try:
                pointer = self.store.champion_pointer()
            except Exception as error:  # unreachable is not damage: retried at every poll, reported once
                self.last_error = f"model store unreachable: {one_line(error)}"
                return False
            swapped = self._poll(pointer)
            # Without a usable pointer the labels stay (as TF Serving's config does). Without a served
            # champion no canary is loaded: its version would be the only AVAILABLE one, which a client
            # of the unlabelled status (the highest AVAILABLE version) would take for the champion.
            if pointer.version is not None and self._loaded.champion is not None:
                self._follow_canary(int(pointer.version), json.dumps(pointer.record, sort_keys=True))
            return swapped
        finally:
            self._report()
            self._report_canary()

    def _poll(self, pointer: ChampionPointer) -> bool:
        version = pointer.version
        self.champion_known = version is not None
        self.registry_champion = int(version) if version is not None else None
        if version is None:
            self.last_error = f"no usable champion: {pointer.problem}" if pointer.damaged else None
            return False
        current = self._loaded.champion
        if current is not None and current.version == int(version):
            self.last_error, self._failed = None, None
            return False
        attempt = (version, json.dumps(pointer.record, sort_keys=True))
        number = int(version)
        canary = self._loaded.canary
        if canary is not None and canary.version == number:  # the canary promoted: already loaded
            model = canary
            self._set(Loaded(model, None))
        else:
            if attempt == self._failed:
                return False  # the same pointer at the same failing version: the error stands, nothing to fetch
            if canary is not None:  # at most two loaded: the serving champion and the one loading
                self._set(Loaded(current, None))
            model = self._load(number)
            if model is None:
                self.last_error = f"version {version} did not load: {self.statuses[number].error_message}"
                self._failed = attempt
                return False
            self._set(Loaded(model, None))
        self.statuses[number] = VersionStatus(AVAILABLE)
        self.last_error, self._failed = None, None
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
        champion = self._loaded.champion
        return champion.version if champion else None

    def readiness(self) -> dict:
        """This model's entry in ``/readyz``."""
        if self._loaded.champion is not None:
            state = "serving"
        elif self.champion_known:
            state = "loading failed" if self.last_error else "loading"
        else:
            state = "no model"
        report: dict = {"state": state, "version": self.version, **self.status()}
        if self.last_error:
            report["error"] = self.last_error
        if self.canary is not None:
            report["canary_version"] = self.canary.version
        if self.canary_error:
            report["canary_error"] = self.canary_error
        return report
