"""What a running service scores with, and how it changes without a restart.

A :class:`ServingState` is immutable: the champion model plus the player
index built from the current profiles. The :class:`StateWatcher` polls the
model store's champion pointer and the store's profile marker; when either
moves, it loads the new pair *off the request path* and swaps one reference.
A request reads the reference once, so requests in flight finish on the state
they started with and none fails during a swap. If the model store or the
database is briefly unreachable, the service keeps the state it has.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from shot_platform.core.model_store import ModelStore
from shot_platform.shots.features.frame import FEATURE_SET_VERSION, feature_matrix
from shot_platform.shots.features.player import PlayerRecords
from shot_platform.shots.ingest.cleaning import clean_columns
from shot_platform.shots.models.artifact import ShotModel
from shot_platform.shots.scoring import CURRENT_PROFILE_DATE
from shot_platform.shots.serving.schema import ShotRequest, requests_columns
from shot_platform.shots.store import ShotStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServingState:
    model: ShotModel
    records: PlayerRecords
    profiles_marker: tuple
    loaded_at: dt.datetime

    @property
    def version(self) -> str:
        return self.model.version

    def score(self, shots: list[ShotRequest]) -> np.ndarray:
        """Make probabilities through the same cleaning and feature code as training
        (``clean_columns``, ``feature_matrix``), with each player's current profile."""
        columns = requests_columns(shots)
        columns |= clean_columns(columns)
        columns["game_date"] = np.full(len(shots), CURRENT_PROFILE_DATE.to_datetime64())
        return self.model.predict_matrix(feature_matrix(columns, self.records))


class StateWatcher:
    """Loads the champion and profiles, then keeps them current from a daemon thread."""

    def __init__(
        self,
        models: ModelStore,
        store: ShotStore,
        interval_s: float = 5.0,
        on_swap: Callable[[ServingState], None] | None = None,
    ) -> None:
        self.models, self.store, self.interval_s = models, store, interval_s
        self.on_swap = on_swap
        self._state: ServingState | None = None
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="state-watcher", daemon=True)

    @property
    def state(self) -> ServingState | None:
        return self._state

    def start(self) -> StateWatcher:
        self.refresh()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def refresh(self) -> bool:
        """One poll: returns True when a new state was swapped in."""
        try:
            version = self.models.champion_version()
            marker = self.store.profiles_marker()
            current = self._state
            if version is None or (current and current.version == version and current.profiles_marker == marker):
                self.last_error = None
                return False
            # Only the profiles changed: keep the loaded model (and its compiled trees).
            model = current.model if current and current.version == version else self.models.load(version)
            if model.feature_set_version != FEATURE_SET_VERSION:
                raise ValueError(
                    f"model {version} was built for feature set {model.feature_set_version}, this service builds "
                    f"{FEATURE_SET_VERSION}: retrain (shot-platform materialize) or promote a current model"
                )
            records = PlayerRecords(self.store.load_player_profiles())
            model.warm_up()  # compile the trees now, not on the first request
            state = ServingState(model, records, marker, dt.datetime.now(dt.UTC))
        except Exception as error:
            self.last_error = f"{type(error).__name__}: {error}"
            log.warning("could not refresh the served model, keeping %s: %s", self.version, self.last_error)
            return False
        self._state = state
        self.last_error = None
        log.info("serving model %s (profiles %s)", state.version, marker)
        if self.on_swap:
            self.on_swap(state)
        return True

    @property
    def version(self) -> str | None:
        return self._state.version if self._state else None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.refresh()
