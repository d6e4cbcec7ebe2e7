"""What a running service scores with, and how it changes without a restart.

The :class:`StateWatcher` polls a model store's champion pointer and a
domain's marker of its other inputs (e.g. the player profiles); when either
moves, it loads the new model, asks the domain to build its immutable serving
state from it *off the request path*, and swaps one reference. A request reads
the reference once, so requests in flight finish on the state they started
with and none fails during a swap.

When the champion cannot be used (a damaged pointer, an artifact that fails its
checksum or does not load, the model store unreachable) the service keeps the
state it has, and says so: :meth:`StateWatcher.status` names the served version,
the registry's champion and the last error; a WARNING is logged once per change
of that situation, not at every poll.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from shot_platform.core.model_store import ModelStore

log = logging.getLogger(__name__)

S = TypeVar("S")


@dataclass(frozen=True)
class Served(Generic[S]):
    """The domain's serving state plus what it was built from."""

    state: S
    model: Any
    version: str
    marker: Hashable


class StateWatcher(Generic[S]):
    """Loads the champion and builds the serving state, then keeps it current from a daemon thread.

    ``build(model, marker)`` turns a loaded model into the domain's state (and may
    raise, e.g. for a model built for another feature set); ``marker()`` returns a
    value that changes when the state must be rebuilt for the same model.
    """

    def __init__(
        self,
        models: ModelStore,
        build: Callable[[Any, Hashable], S],
        marker: Callable[[], Hashable] = lambda: None,
        interval_s: float = 5.0,
        on_swap: Callable[[str, str | None], None] | None = None,
        on_status: Callable[[dict], None] | None = None,
    ) -> None:
        self.models, self.build, self.marker, self.interval_s = models, build, marker, interval_s
        self.on_swap, self.on_status = on_swap, on_status
        self._served: Served[S] | None = None
        self.last_error: str | None = None
        self.registry_champion: str | None = None
        self._reported: tuple | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="state-watcher", daemon=True)

    @property
    def state(self) -> S | None:
        served = self._served
        return served.state if served else None

    @property
    def version(self) -> str | None:
        served = self._served
        return served.version if served else None

    def start(self) -> StateWatcher[S]:
        self.refresh()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def refresh(self) -> bool:
        """One poll: returns True when a new state was swapped in."""
        swapped = False
        try:
            swapped = self._poll()
            self.last_error = None
        except Exception as error:
            self.last_error = f"{type(error).__name__}: {error}"
        self._report()
        return swapped

    def _poll(self) -> bool:
        pointer = self.models.champion_pointer()
        self.registry_champion = pointer.version
        if pointer.version is None:
            if pointer.damaged:
                raise LookupError(f"no usable champion: {pointer.problem}")
            return False  # no model trained yet: nothing to serve, nothing wrong
        marker = self.marker()
        current = self._served
        if current and current.version == pointer.version and current.marker == marker:
            return False
        # Only the other inputs changed: keep the loaded model (and whatever it compiled).
        model = current.model if current and current.version == pointer.version else self.models.load(pointer.version)
        state = self.build(model, marker)
        previous = current.version if current else None
        self._served = Served(state, model, pointer.version, marker)
        log.info("serving model %s (marker %s)", pointer.version, marker)
        if self.on_swap:
            self.on_swap(pointer.version, previous)
        return True

    def status(self) -> dict:
        """Served version, registry champion, last error, and whether they disagree."""
        served = self.version
        diverged = self.last_error is not None or (served is not None and served != self.registry_champion)
        return {
            "ready": served is not None,
            "served_version": served,
            "registry_champion": self.registry_champion,
            "diverged": diverged,
            "last_error": self.last_error,
        }

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
                "serving %s but the registry's champion is %s: %s",
                status["served_version"] or "no model",
                status["registry_champion"] or "unusable",
                status["last_error"] or "not loaded yet",
            )
        elif not first:
            log.info("serving the registry's champion %s", status["served_version"])
        if self.on_status:
            self.on_status(status)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.refresh()
