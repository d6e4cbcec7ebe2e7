"""What a running service scores with, and how it changes without a restart.

The :class:`StateWatcher` is the :class:`~shot_platform.core.serving.watcher.ChampionWatcher` of a
model loaded whole from the registry (e.g. a joblib file): besides the champion it
follows a domain's marker of its other inputs (e.g. the player profiles); when either moves, it
loads the new model, asks the domain to build its immutable serving state from it *off the request
path*, and swaps one reference. A request reads the reference once, so requests in flight finish on
the state they started with and none fails during a swap.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from shot_platform.core.model_store import ChampionPointer, ModelStore
from shot_platform.core.serving.watcher import ChampionWatcher

log = logging.getLogger(__name__)

S = TypeVar("S")


@dataclass(frozen=True)
class Served(Generic[S]):
    """The domain's serving state plus what it was built from."""

    state: S
    model: Any
    version: str
    marker: Hashable


class StateWatcher(ChampionWatcher, Generic[S]):
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
        super().__init__(models, interval_s, on_status)
        self.build, self.marker, self.on_swap = build, marker, on_swap
        self._served: Served[S] | None = None

    @property
    def state(self) -> S | None:
        served = self._served
        return served.state if served else None

    @property
    def model(self) -> Any:
        served = self._served
        return served.model if served else None

    @property
    def version(self) -> str | None:
        served = self._served
        return served.version if served else None

    def follow(self, pointer: ChampionPointer) -> bool:
        version = str(pointer.version)
        marker = self.marker()
        current = self._served
        if current and current.version == version and current.marker == marker:
            return False
        # Only the other inputs changed: keep the loaded model (and whatever it compiled).
        model = current.model if current and current.version == version else self.models.load(version)
        state = self.build(model, marker)
        previous = current.version if current else None
        self._served = Served(state, model, version, marker)
        log.info("serving model %s (marker %s)", version, marker)
        if self.on_swap:
            self.on_swap(version, previous)
        return True

    def status(self) -> dict:
        return {"ready": self.version is not None, **super().status()}
