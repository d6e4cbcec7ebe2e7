"""The score_beater MLP (Keras 3, TensorFlow): raw counts in, beat probability out.

Every feature step lives inside the model (``CountFeatures`` then a ``Normalization`` adapted on
the training rows), so training, batch scoring and TF Serving compute the same thing. The
SavedModel's ``serving_default`` takes one float per input name (``INPUT_NAMES``) and returns
``probability``; it reloads with ``tf.saved_model.load`` alone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from keras import ops

from shot_platform.free_throws.inputs import INPUT_NAMES
from shot_platform.free_throws.labels import BEAT

OUTPUT = "probability"
TEAMS = 30  # each league game is a game for two of the 30 teams
LEAGUE_FT_SHARE = 0.75  # prior make share of the shrunk free-throw percentage (measured 75.8%)

_configured: dict[str, int] = {}


def configure_tensorflow(threads: int = 2) -> None:
    """Deterministic ops and a fixed thread count; call before any TensorFlow op runs (once per process)."""
    if _configured:
        if _configured["threads"] != threads:
            raise RuntimeError(f"TensorFlow already configured with {_configured['threads']} threads")
        return
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    tf.config.experimental.enable_op_determinism()
    _configured["threads"] = threads


@keras.saving.register_keras_serializable(package="free_throws")
class CountFeatures(keras.layers.Layer):
    """Raw season counts -> schedule-normalised features (batch, len(FEATURE_NAMES)).

    Counts are turned into rates per *team game* (scheduled league games x 2 / 30), so a 66-game
    season looks like an 82-game one: last season's rate, shrunk toward this season's pace with
    ``shrinkage_games`` team games of weight, projects the final count; the features compare that
    projection and the remaining expectation with what is needed to beat last season.
    """

    FEATURE_NAMES: tuple[str, ...] = (
        "log_projection_over_last",
        "log_remaining_over_needed",
        "season_share",
        "sqrt_share_left",
        "log_last_made",
        "log_expected_remaining",
        "shrunk_ft_share",
        "shrunk_availability",
        "last_availability",
        "last_attempts_per_game",
        "log_pace_over_last",
    )

    BEFORE_LAST_FEATURES: tuple[str, ...] = (
        "before_last_missing",
        "log_last_over_before_rate",
        "before_last_availability",
        "log_two_season_projection_over_last",
    )

    def __init__(
        self, shrinkage_games: float = 15.0, before_last: bool = False, league: bool = False, **kwargs: object
    ) -> None:
        super().__init__(**kwargs)
        self.shrinkage_games = float(shrinkage_games)
        self.before_last = bool(before_last)
        self.league = bool(league)

    def call(self, inputs: Mapping[str, tf.Tensor]) -> tf.Tensor:
        x = {name: ops.cast(ops.reshape(value, (-1,)), "float32") for name, value in inputs.items()}
        kappa = self.shrinkage_games
        team_games = x["scheduled_games"] * (2.0 / TEAMS)
        last_team_games = ops.maximum(x["last_scheduled_games"] * (2.0 / TEAMS), 1.0)
        share = ops.clip(x["season_share"], 0.0, 1.0)
        played = share * team_games
        left = team_games - played
        last_rate = x["last_made"] / last_team_games
        rate = (x["made"] + kappa * last_rate) / (played + kappa)
        expected_remaining = left * rate
        projection = x["made"] + expected_remaining
        needed = ops.relu(x["last_made"] + 1.0 - x["made"])
        pooled_made = x["made"] + x["last_made"]
        pooled_attempted = x["attempted"] + x["last_attempted"]
        last_availability = x["last_games"] / last_team_games
        features = [
            ops.log((projection + 1.0) / (x["last_made"] + 1.0)),
            ops.log((expected_remaining + 1.0) / (needed + 1.0)),
            share,
            ops.sqrt(1.0 - share),
            ops.log1p(x["last_made"]),
            ops.log1p(expected_remaining),
            (pooled_made + 10.0 * LEAGUE_FT_SHARE) / (pooled_attempted + 10.0),
            (x["games"] + 0.5 * kappa * last_availability) / (played + 0.5 * kappa),
            last_availability,
            x["last_attempted"] / ops.maximum(x["last_games"], 1.0),
            ops.log((x["made"] + 1.0) / (last_rate * played + 1.0)),
        ]
        if self.before_last:
            known = ops.cast(x["before_last_scheduled_games"] > 0.0, "float32")  # 0: season not on record
            before_team_games = ops.maximum(x["before_last_scheduled_games"] * (2.0 / TEAMS), 1.0)
            before_rate = x["before_last_made"] / before_team_games
            two_rate = (x["last_made"] + 0.5 * known * x["before_last_made"]) / (
                last_team_games + 0.5 * known * before_team_games
            )
            two_rate = (x["made"] + kappa * two_rate) / (played + kappa)
            features += [
                known * ops.cast(x["before_last_games"] <= 0.0, "float32"),
                1.0 - known,
                known * ops.log((last_rate * 82.0 + 1.0) / (before_rate * 82.0 + 1.0)),
                known * x["before_last_games"] / before_team_games,
                ops.log((x["made"] + left * two_rate + 1.0) / (x["last_made"] + 1.0)),
            ]
        if self.league:
            league_games = share * x["scheduled_games"]
            last_league_rate = x["last_league_made"] / ops.maximum(x["last_scheduled_games"], 1.0)
            league_ratio = (x["league_made"] + 100.0 * last_league_rate) / (
                (league_games + 100.0) * ops.maximum(last_league_rate, 1e-3)
            )
            adjusted = (x["made"] + kappa * last_rate * league_ratio) / (played + kappa)
            features += [
                ops.log(league_ratio),
                ops.log((x["made"] + left * adjusted + 1.0) / (x["last_made"] + 1.0)),
            ]
        return ops.stack(features, axis=-1)

    def compute_output_shape(self, input_shape: object) -> tuple[int | None, int]:
        return (None, len(self.FEATURE_NAMES) + 5 * self.before_last + 2 * self.league)

    def get_config(self) -> dict[str, object]:
        return {
            **super().get_config(),
            "shrinkage_games": self.shrinkage_games,
            "before_last": self.before_last,
            "league": self.league,
        }


@keras.saving.register_keras_serializable(package="free_throws")
class AlreadyBeaten(keras.layers.Layer):
    """Probability 1 once this season's made exceeds last season's: the label is then certain."""

    def call(self, probability: tf.Tensor, made: tf.Tensor, last_made: tf.Tensor) -> tf.Tensor:
        made = ops.cast(ops.reshape(made, (-1,)), "float32")
        last_made = ops.cast(ops.reshape(last_made, (-1,)), "float32")
        return ops.where(made > last_made, ops.ones_like(probability), probability)


@dataclass(frozen=True)
class MLPConfig:
    """Architecture and training settings (chosen on the selection season, see REPORT.md)."""

    hidden: tuple[int, ...] = (32, 16)
    dropout: float = 0.0
    l2: float = 0.0
    learning_rate: float = 3e-3
    batch_size: int = 1024
    max_epochs: int = 30
    patience: int = 4
    shrinkage_games: float = 15.0
    certain_override: bool = True
    preseason_weight: float = 1.0
    before_last: bool = False
    league: bool = False
    members: int = 1
    seed: int = 0

    @property
    def input_names(self) -> tuple[str, ...]:
        names = INPUT_NAMES
        if self.before_last:
            names += BEFORE_LAST_NAMES
        if self.league:
            names += ("league_made", "last_league_made")
        return names


@dataclass
class TrainedModel:
    """A fitted model, the epochs it was trained for, and how long it took."""

    model: keras.Model
    epochs: int
    seconds: float
    history: dict[str, list[float]] = field(default_factory=dict)


BEFORE_LAST_NAMES = ("before_last_made", "before_last_attempted", "before_last_games", "before_last_scheduled_games")


def model_inputs(
    frame: pd.DataFrame | Mapping[str, object], names: tuple[str, ...] = INPUT_NAMES
) -> dict[str, np.ndarray]:
    """The model's named inputs as float32 vectors, from a frame or a mapping of columns."""
    return {name: np.asarray(frame[name], dtype=np.float32).reshape(-1) for name in names}


def _member_probability(
    features: tf.Tensor, inputs: Mapping[str, tf.Tensor], config: MLPConfig, member: int
) -> tf.Tensor:
    hidden = features
    regularizer = keras.regularizers.L2(config.l2) if config.l2 > 0 else None
    for index, units in enumerate(config.hidden):
        hidden = keras.layers.Dense(
            units, activation="relu", kernel_regularizer=regularizer, name=f"m{member}_dense_{index}"
        )(hidden)
        if config.dropout > 0:
            hidden = keras.layers.Dropout(config.dropout, name=f"m{member}_dropout_{index}")(hidden)
    logit = keras.layers.Dense(1, name=f"m{member}_logit")(hidden)
    probability = keras.layers.Reshape((), name=f"m{member}_flatten")(
        keras.layers.Activation("sigmoid", name=f"m{member}_sigmoid")(logit)
    )
    if config.certain_override:
        probability = AlreadyBeaten(name=f"m{member}_already_beaten")(probability, inputs["made"], inputs["last_made"])
    return probability


def build_models(train_frame: pd.DataFrame, config: MLPConfig) -> tuple[keras.Model, keras.Model]:
    """(serving model, training model) sharing every layer.

    The training model outputs each member's probability (``member_i``, one loss each, so the
    members learn independently from different initial weights); the serving model outputs
    their mean as ``probability``. The Normalization layer is adapted on ``train_frame``.
    """
    inputs = {name: keras.Input(shape=(), name=name, dtype="float32") for name in config.input_names}
    features_layer = CountFeatures(
        shrinkage_games=config.shrinkage_games,
        before_last=config.before_last,
        league=config.league,
        name="count_features",
    )
    normalize = keras.layers.Normalization(axis=-1, name="normalize")
    normalize.adapt(np.asarray(features_layer(model_inputs(train_frame, config.input_names))))
    features = normalize(features_layer(inputs))
    members = [_member_probability(features, inputs, config, member) for member in range(config.members)]
    mean = members[0] if len(members) == 1 else keras.layers.Average(name="mean")(members)
    serving = keras.Model(inputs=inputs, outputs={OUTPUT: mean}, name="score_beater")
    training = keras.Model(
        inputs=inputs, outputs={f"member_{i}": p for i, p in enumerate(members)}, name="score_beater_training"
    )
    return serving, training


def _weights(frame: pd.DataFrame, config: MLPConfig) -> np.ndarray:
    weights = np.ones(len(frame), dtype=np.float32)
    weights[frame["season_share"].to_numpy() == 0] = config.preseason_weight
    return weights


def fit_model(
    train: pd.DataFrame,
    config: MLPConfig,
    epochs: int | None = None,
    validation: pd.DataFrame | None = None,
    verbose: int = 0,
) -> TrainedModel:
    """Seeded, deterministic fit on snapshot rows with a ``beat`` column.

    With ``validation`` (the selection season at the evaluation fractions), training stops after
    ``patience`` epochs without a better validation log loss and keeps the best epoch's weights;
    otherwise it runs exactly ``epochs`` epochs (the count chosen on the selection season).
    """
    configure_tensorflow()
    keras.utils.set_random_seed(config.seed)
    started = time.perf_counter()
    model, training = build_models(train, config)
    training.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss={name: keras.losses.BinaryCrossentropy() for name in training.output},
    )
    member_names = list(training.output)
    callbacks = []
    validation_data = None
    if validation is not None:
        validation_label = validation[BEAT].to_numpy(np.float32)
        validation_data = (
            model_inputs(validation, config.input_names),
            dict.fromkeys(member_names, validation_label),
        )
        callbacks.append(
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience, restore_best_weights=True)
        )
    label = train[BEAT].to_numpy(np.float32)
    history = training.fit(
        model_inputs(train, config.input_names),
        dict.fromkeys(member_names, label),
        sample_weight=_weights(train, config),
        batch_size=config.batch_size,
        epochs=epochs or config.max_epochs,
        validation_data=validation_data,
        callbacks=callbacks,
        shuffle=True,
        verbose=verbose,
    )
    losses = history.history
    trained_epochs = len(losses["loss"])
    if validation is not None:
        trained_epochs = int(np.argmin(losses["val_loss"])) + 1
    return TrainedModel(model, trained_epochs, time.perf_counter() - started, dict(losses))


def predict(model: keras.Model, frame: pd.DataFrame, batch_size: int = 8192) -> np.ndarray:
    """Beat probabilities of the in-memory model, float64."""
    names = tuple(model.input.keys())
    output = model.predict(model_inputs(frame, names), batch_size=batch_size, verbose=0)
    return np.asarray(output[OUTPUT], dtype=np.float64).reshape(-1)


def export_model(model: keras.Model, path: str | Path) -> Path:
    """SavedModel with a ``serving_default`` signature: named float inputs -> ``probability``."""
    path = Path(path)
    model.export(str(path), format="tf_saved_model", verbose=False)
    return path


def predict_exported(loaded: object, frame: pd.DataFrame | Mapping[str, object]) -> np.ndarray:
    """Probabilities from a SavedModel loaded with ``tf.saved_model.load`` (serving signature)."""
    signature = loaded.signatures["serving_default"]  # type: ignore[attr-defined]
    tensors = {name: tf.constant(values) for name, values in model_inputs(frame).items()}
    return np.asarray(signature(**tensors)[OUTPUT], dtype=np.float64).reshape(-1)


__all__ = [
    "OUTPUT",
    "AlreadyBeaten",
    "CountFeatures",
    "MLPConfig",
    "TrainedModel",
    "build_models",
    "configure_tensorflow",
    "export_model",
    "fit_model",
    "model_inputs",
    "predict",
    "predict_exported",
]
