"""Time split, candidate training and the model store (versions, champion pointer)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shot_platform.core.blobs import LocalBlobStore
from shot_platform.core.model_store import ModelNotFoundError
from shot_platform.core.split import time_split
from shot_platform.shots.features.player import build_player_history
from shot_platform.shots.models.registry import shot_models_at
from shot_platform.shots.models.training import evaluate_on, train_shot_model
from shot_platform_tests.helpers import cleaned


@pytest.fixture(scope="module")
def shots(synthetic_shots: pd.DataFrame) -> pd.DataFrame:
    return cleaned(synthetic_shots)


@pytest.fixture(scope="module")
def trained(shots: pd.DataFrame):
    return train_shot_model(shots, build_player_history(shots))


def test_time_split_keeps_whole_dates_in_order(shots: pd.DataFrame):
    split = time_split(shots["game_date"])
    parts = [shots.loc[mask, "game_date"] for mask in (split.train, split.valid, split.test)]
    assert all(len(part) for part in parts)
    assert parts[0].max() < parts[1].min() and parts[1].max() < parts[2].min()
    assert (split.train.astype(int) + split.valid + split.test == 1).all()
    with pytest.raises(ValueError, match="at least 3 game dates"):
        time_split(shots.loc[shots["game_date"] == shots["game_date"].min(), "game_date"])


def test_trained_model_beats_the_base_rate_on_later_games(trained, shots: pd.DataFrame):
    metrics = trained.model.metadata["metrics"]
    assert metrics["log_loss"] < metrics["base_rate_log_loss"]
    assert metrics["auc"] > 0.6
    assert set(trained.candidates["candidate"]) == {"logistic_regression", "gradient_boosting"}
    assert trained.model.metadata["candidate"] == trained.candidates.loc[0, "candidate"]
    assert trained.model.metadata["train_dates"][1] < trained.model.metadata["test_dates"][0]
    test_rows = shots[trained.split.test]
    assert metrics["rows"] == len(test_rows) == len(trained.test_frame)


def test_model_store_versions_and_champion_pointer(trained, shots: pd.DataFrame, tmp_path: Path):
    models = shot_models_at(tmp_path)
    with pytest.raises(ModelNotFoundError, match="no champion yet"):
        models.load()
    version = models.save(trained.model)
    assert models.versions() == [version] and models.champion_version() is None
    models.promote(version, "test")
    loaded = models.load()
    history = build_player_history(shots)
    test_rows = shots[trained.split.test]
    assert loaded.version == version
    assert evaluate_on(loaded, test_rows, history)["log_loss"] == pytest.approx(
        trained.model.metadata["metrics"]["log_loss"]
    )

    # A version whose metadata was never written (a crash mid-save) is invisible and cannot be promoted.
    LocalBlobStore(tmp_path).put("shot_model/versions/20990101T000000-broken/model.joblib", b"partial")
    assert models.versions() == [version]
    with pytest.raises(ModelNotFoundError):
        models.promote("20990101T000000-broken", "should fail")
    assert models.champion_version() == version


def test_predict_proba_is_deterministic_and_bounded(trained, shots: pd.DataFrame):
    from shot_platform.shots.features.frame import build_features

    features = build_features(shots.head(500), build_player_history(shots))
    first, second = trained.model.predict_proba(features), trained.model.predict_proba(features)
    assert np.array_equal(first, second)
    assert ((first > 0) & (first < 1)).all()


def test_compiled_forest_matches_scikit_learn_for_small_batches(shots: pd.DataFrame):
    from shot_platform.shots.features.frame import FEATURE_COLUMNS, build_features
    from shot_platform.shots.models.artifact import COMPILED_MAX_ROWS, ShotModel
    from shot_platform.shots.models.candidates import candidate_models

    history = build_player_history(shots)
    features = build_features(shots, history)
    boosted = candidate_models()["gradient_boosting"].fit(features.to_numpy(), shots["FGM"].to_numpy())
    model = ShotModel(boosted, tuple(FEATURE_COLUMNS), "test")
    sample = features.sample(COMPILED_MAX_ROWS, random_state=3)
    reference = boosted.predict_proba(sample.to_numpy())[:, 1]
    np.testing.assert_allclose(model.predict_proba(sample), reference, rtol=0, atol=1e-12)
    np.testing.assert_allclose(model.predict_proba(sample.iloc[:1]), reference[:1], rtol=0, atol=1e-12)
    holes = sample.iloc[:20].copy()
    holes.iloc[::3, 0] = np.nan  # missing values follow scikit-learn's learned direction
    np.testing.assert_allclose(model.predict_proba(holes), boosted.predict_proba(holes.to_numpy())[:, 1], atol=1e-12)
    assert model._forest is not None  # the fast path was taken
