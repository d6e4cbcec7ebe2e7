"""Follow a registry's champion from a running service: poll, load off the request path, swap, report.

One watcher for every model: a daemon thread reads the champion pointer every ``interval_s``; when
it names a version the service does not serve, the loading policy (:meth:`ChampionWatcher.follow`,
given by each kind of model: a joblib model plus the domain's serving state, a SavedModel with its
canary) loads it and swaps one reference, so requests in flight finish on what they started with.

When the champion cannot be used (a damaged pointer, an artifact that fails its checksum or does
not load, the model store unreachable) the service keeps what it serves, and says so:
:meth:`ChampionWatcher.status` names the served version, the registry's champion, whether they
disagree (``diverged``) and the last error; a WARNING is logged once per change of that situation,
not at every poll.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from shot_platform.core.model_store import ChampionPointer, ModelStore, one_line

log = logging.getLogger(__name__)


class ServingProblem(Exception):
    """A failure the loading policy has already put in words: reported as it is (no type name)."""


class ChampionWatcher:
    """Keeps a service's model on the registry's champion; subclasses give the loading policy."""

    def __init__(
        self,
        models: ModelStore,
        interval_s: float = 5.0,
        on_status: Callable[[dict], None] | None = None,
        version_type: Callable[[str], Any] = str,
    ) -> None:
        """``version_type``: how the served versions are numbered (``int`` for TF Serving's)."""
        self.models, self.interval_s, self.on_status, self.version_type = models, interval_s, on_status, version_type
        self.registry_champion: Any = None
        self.champion_known = False  # the store had a champion at the last successful poll
        self.last_error: str | None = None
        self._reported: tuple | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{models.name}-watcher", daemon=True)

    @property
    def name(self) -> str:
        return self.models.name

    @property
    def version(self) -> Any:
        """The served version, None before one is loaded."""
        raise NotImplementedError

    def follow(self, pointer: ChampionPointer) -> bool:
        """Load and swap in the champion the (usable) pointer names; True when something new serves.
        Raises for a champion that cannot be served; what serves then stays."""
        raise NotImplementedError

    def after_poll(self) -> None:
        """Called after every poll, whatever happened (e.g. to report a canary)."""

    def start(self) -> ChampionWatcher:
        self.refresh()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.refresh()

    def refresh(self) -> bool:
        """One poll: returns True when a new model was swapped in."""
        try:
            try:
                pointer = self.models.champion_pointer()
            except Exception as error:  # unreachable is not damage: retried at every poll, reported once
                raise ServingProblem(f"model store unreachable: {one_line(error)}") from None
            self.champion_known = pointer.version is not None
            self.registry_champion = self.version_type(pointer.version) if pointer.version is not None else None
            if pointer.version is None:
                if pointer.damaged:
                    raise ServingProblem(f"no usable champion: {pointer.problem}")
                swapped = False  # no model trained yet: nothing to serve, nothing wrong
            else:
                swapped = self.follow(pointer)
            self.last_error = None
            return swapped
        except ServingProblem as problem:
            self.last_error = str(problem)
        except Exception as error:
            self.last_error = one_line(error)
        finally:
            self._report()
            self.after_poll()
        return False

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

    def readiness(self) -> dict:
        """This model's entry in ``/readyz``."""
        if self.version is not None:
            state = "serving"
        elif self.champion_known:
            state = "loading failed" if self.last_error else "loading"
        else:
            state = "no model"
        report: dict = {"state": state, "version": self.version, **self.status()}
        if self.last_error:
            report["error"] = self.last_error
        return report

    def _report(self) -> None:
        """A WARNING when the served model stops matching the registry (once per change), INFO when it is back."""
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
                status["served_version"] or "no model",
                status["registry_champion"] or "unusable",
                status["last_error"] or "not loaded yet",
            )
        elif not first and status["served_version"] is not None:
            log.info("%s: serving the registry's champion %s", self.name, status["served_version"])
        elif not first:
            log.info("%s: the registry has no champion (nothing trained yet): nothing to serve", self.name)
        if self.on_status:
            self.on_status(status)
