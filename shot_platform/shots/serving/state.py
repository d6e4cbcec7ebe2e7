"""The shot model's serving state: the champion plus the player index built from the current profiles.

Immutable; :class:`shot_platform.core.serving.state.StateWatcher` builds a new
one off the request path when the champion or the profiles change.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np

from shot_platform.core.model_store import ModelStore
from shot_platform.core.serving.state import StateWatcher
from shot_platform.shots.features.frame import FEATURE_SET_VERSION, feature_matrix
from shot_platform.shots.features.player import PlayerRecords
from shot_platform.shots.ingest.cleaning import clean_columns
from shot_platform.shots.models.artifact import ShotModel
from shot_platform.shots.scoring import CURRENT_PROFILE_DATE
from shot_platform.shots.serving.schema import ShotRequest, requests_columns
from shot_platform.shots.store import ShotStore


@dataclass(frozen=True)
class ServingState:
    model: ShotModel
    records: PlayerRecords
    profiles_marker: Hashable

    @property
    def version(self) -> str:
        return self.model.version

    def predict(self, shots: list[ShotRequest]) -> np.ndarray:
        """Make probabilities through the same cleaning and feature code as training
        (``clean_columns``, ``feature_matrix``), with each player's current profile."""
        columns = requests_columns(shots)
        columns |= clean_columns(columns)
        columns["game_date"] = np.full(len(shots), CURRENT_PROFILE_DATE.to_datetime64())
        return self.model.predict_matrix(feature_matrix(columns, self.records))


def shot_state_builder(store: ShotStore):
    """``build(model, marker)`` for the watcher: refuses a model of another feature set, loads the profiles."""

    def build(model: ShotModel, marker: Hashable) -> ServingState:
        if model.feature_set_version != FEATURE_SET_VERSION:
            raise ValueError(
                f"model {model.version} was built for feature set {model.feature_set_version}, this service builds "
                f"{FEATURE_SET_VERSION}: retrain (shot-platform materialize) or promote a current model"
            )
        records = PlayerRecords(store.load_player_profiles())
        model.warm_up()  # compile the trees now, not on the first request
        return ServingState(model, records, marker)

    return build


def shot_state_watcher(
    models: ModelStore[ShotModel], store: ShotStore, interval_s: float = 5.0, **callbacks
) -> StateWatcher[ServingState]:
    """The watcher for the shot model: rebuilds the state when the champion or the profiles change."""
    return StateWatcher(models, shot_state_builder(store), store.profiles_marker, interval_s, **callbacks)
