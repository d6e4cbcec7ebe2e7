"""The score_beater MLP (Keras 3 on TensorFlow): raw counts in, beat probability out.

Every feature step lives inside the model -- ``CountFeatures`` (schedule-normalised rates,
projections, shrinkage, logs), then a ``Normalization`` layer adapted on the training rows -- so
training, batch scoring and TF Serving compute the same thing. Three small MLP members (one
hidden layer of 16) are trained side by side, each with its own loss, and served as their mean:
on the selection season one layer of 16 was within seed noise of 32-16 and 64-32 nets and
trained more steadily, and the mean of three cut the seed-to-seed spread. The
SavedModel's ``serving_default`` takes one float per input (``INPUT_NAMES``, shape ``(None,)``)
and returns ``probability``; it reloads with ``tf.saved_model.load`` alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss

from shot_platform.core.serving.tf_runtime import import_tensorflow
from shot_platform.core.settings import TF_LOG_LEVEL_ENV, export_variable
from shot_platform.free_throws.inputs import INPUT_NAMES
from shot_platform.free_throws.labels import BEAT

# TensorFlow reads its log level once, when imported: its C++ INFO lines would bury the run's own.
export_variable(TF_LOG_LEVEL_ENV, "2", keep_existing=True)

tf = import_tensorflow()

import keras  # noqa: E402
from keras import ops  # noqa: E402

OUTPUT = "probability"
TEAMS = 30  # each league game is a game for two of the 30 teams
FULL_SEASON_TEAM_GAMES = 82.0  # rates are expressed per full season
LEAGUE_FT_SHARE = 0.75  # prior of the shrunk make share (75.8% in the file)

_configured: dict[str, int] = {}


def configure_tensorflow(threads: int = 2) -> None:
    """Deterministic ops and ``threads`` intra/inter-op threads; call before any TensorFlow op runs.

    Idempotent per process; TensorFlow refuses thread changes once it has run an op.
    """
    if _configured:
        if _configured["threads"] != threads:
            raise RuntimeError(f"TensorFlow is already configured with {_configured['threads']} threads")
        return
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    tf.config.experimental.enable_op_determinism()
    _configured["threads"] = threads


@keras.saving.register_keras_serializable(package="free_throws")
class CountFeatures(keras.layers.Layer):
    """Raw counts (dict of ``(batch,)`` tensors) -> features ``(batch, len(FEATURE_NAMES))``.

    Counts become rates per team game (league games x 2 / 30), so a 66-game season reads like
    an 82-game one. Last season's rate, shrunk toward this season's pace with ``shrinkage_games``
    team games of weight, projects the final count; the features compare that projection and the
    expected remainder with what is needed to beat last season. The season before last adds the
    trend and "rookie last season" (no attempt then); its scheduled games of 0 mean "not on
    record" and switch its features off.
    """

    FEATURE_NAMES: tuple[str, ...] = (
        "log_projection_over_last",
        "log_expected_remaining_over_needed",
        "season_share",
        "sqrt_share_left",
        "log_last_made_per_season",
        "log_expected_remaining",
        "shrunk_make_share",
        "shrunk_availability",
        "last_availability",
        "last_attempts_per_game",
        "log_made_over_last_pace",
        "before_last_absent",
        "before_last_unknown",
        "log_last_over_before_last_rate",
        "before_last_availability",
        "log_two_season_projection_over_last",
    )

    def __init__(self, shrinkage_games: float = 15.0, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.shrinkage_games = float(shrinkage_games)

    def call(self, inputs: Mapping[str, tf.Tensor]) -> tf.Tensor:
        x = {name: ops.cast(ops.reshape(inputs[name], (-1,)), "float32") for name in INPUT_NAMES}
        kappa = self.shrinkage_games
        team_games = x["scheduled_games"] * (2.0 / TEAMS)
        last_team_games = ops.maximum(x["last_scheduled_games"] * (2.0 / TEAMS), 1.0)
        share = ops.clip(x["season_share"], 0.0, 1.0)
        played = share * team_games
        left = team_games - played
        last_rate = x["last_made"] / last_team_games
        expected_remaining = left * (x["made"] + kappa * last_rate) / (played + kappa)
        projection = x["made"] + expected_remaining
        needed = ops.relu(x["last_made"] + 1.0 - x["made"])
        last_availability = x["last_games"] / last_team_games

        known = ops.cast(x["before_last_scheduled_games"] > 0.0, "float32")
        before_team_games = ops.maximum(x["before_last_scheduled_games"] * (2.0 / TEAMS), 1.0)
        before_rate = x["before_last_made"] / before_team_games
        two_season_rate = (x["last_made"] + 0.5 * known * x["before_last_made"]) / (
            last_team_games + 0.5 * known * before_team_games
        )
        two_season_remaining = left * (x["made"] + kappa * two_season_rate) / (played + kappa)
        season = FULL_SEASON_TEAM_GAMES
        features = [
            ops.log((projection + 1.0) / (x["last_made"] + 1.0)),
            ops.log((expected_remaining + 1.0) / (needed + 1.0)),
            share,
            ops.sqrt(1.0 - share),
            ops.log1p(last_rate * season),
            ops.log1p(expected_remaining),
            (x["made"] + x["last_made"] + 10.0 * LEAGUE_FT_SHARE) / (x["attempted"] + x["last_attempted"] + 10.0),
            (x["games"] + 0.5 * kappa * last_availability) / (played + 0.5 * kappa),
            last_availability,
            x["last_attempted"] / ops.maximum(x["last_games"], 1.0),
            ops.log((x["made"] + 1.0) / (last_rate * played + 1.0)),
            known * ops.cast(x["before_last_games"] <= 0.0, "float32"),
            1.0 - known,
            known * ops.log((last_rate * season + 1.0) / (before_rate * season + 1.0)),
            known * x["before_last_games"] / before_team_games,
            ops.log((x["made"] + two_season_remaining + 1.0) / (x["last_made"] + 1.0)),
        ]
        return ops.stack(features, axis=-1)

    def compute_output_shape(self, input_shape: object) -> tuple[int | None, int]:
        return (None, len(self.FEATURE_NAMES))

    def get_config(self) -> dict[str, object]:
        return {**super().get_config(), "shrinkage_games": self.shrinkage_games}


@keras.saving.register_keras_serializable(package="free_throws")
class AlreadyBeaten(keras.layers.Layer):
    """Probability 1 once this season's made exceeds last season's: the label is then certain.

    Measured on the selection season (first configuration, one seed): log loss 0.3045 with it,
    0.3080 when the MLP had to learn it.
    """

    def call(self, probability: tf.Tensor, made: tf.Tensor, last_made: tf.Tensor) -> tf.Tensor:
        made = ops.cast(ops.reshape(made, (-1,)), "float32")
        last_made = ops.cast(ops.reshape(last_made, (-1,)), "float32")
        return ops.where(made > last_made, ops.ones_like(probability), probability)


@dataclass(frozen=True)
class MLPConfig:
    """Architecture and training settings (chosen on the selection season, see REPORT.md)."""

    hidden: tuple[int, ...] = (16,)
    members: int = 3
    learning_rate: float = 3e-3
    batch_size: int = 4096
    # On small stores (a synthetic demo: a few thousand rows) 4096-row batches would leave a
    # handful of optimizer steps per epoch; batches shrink so an epoch has at least this many
    # steps (never below 32 rows). The real data is unaffected: 783,000 rows / 4096 = 191 steps.
    min_steps_per_epoch: int = 100
    max_epochs: int = 20
    patience: int = 4
    shrinkage_games: float = 15.0
    seed: int = 0


@dataclass
class TrainedModel:
    """The serving model, the epochs it was trained for, the fit's wall and CPU time, loss history."""

    model: keras.Model
    epochs: int
    seconds: float
    cpu_seconds: float
    history: dict[str, list[float]] = field(default_factory=dict)


def model_inputs(frame: pd.DataFrame | Mapping[str, object]) -> dict[str, np.ndarray]:
    """The named model inputs as float32 vectors, from a frame or a mapping of columns."""
    return {name: np.asarray(frame[name], dtype=np.float32).reshape(-1) for name in INPUT_NAMES}


def _member(features: tf.Tensor, inputs: Mapping[str, tf.Tensor], config: MLPConfig, member: int) -> tf.Tensor:
    hidden = features
    for index, units in enumerate(config.hidden):
        hidden = keras.layers.Dense(units, activation="relu", name=f"m{member}_dense_{index}")(hidden)
    logit = keras.layers.Dense(1, name=f"m{member}_logit")(hidden)
    probability = keras.layers.Reshape((), name=f"m{member}_flat")(
        keras.layers.Activation("sigmoid", name=f"m{member}_sigmoid")(logit)
    )
    return AlreadyBeaten(name=f"m{member}_already_beaten")(probability, inputs["made"], inputs["last_made"])


CONSTANT_VARIANCE = 1e-8  # below this a feature did not vary in training


def _silence_constant_features(normalize: keras.layers.Normalization) -> None:
    """A feature that never varied in the training rows normalises to exactly 0, whatever it is later.

    Otherwise its variance of 0 becomes a division by 1e-7 the first time it varies: trained on
    one synthetic season whose season-before-last was not on record (the ``before_last_unknown``
    feature always 1), the model saw it turn 0 on the judged season and its log loss went from
    0.62 (base rate) to 0.71. An infinite variance makes ``(x - mean) / sqrt(variance)`` exactly 0,
    so its weights get no gradient and it has no effect in training or serving. The real data's
    training seasons vary in every feature, so nothing changes there.
    """
    variance = np.asarray(normalize.adapt_variance)
    constant = variance < CONSTANT_VARIANCE
    if constant.any():
        normalize.adapt_variance.assign(np.where(constant, np.inf, variance).astype(variance.dtype))
        normalize.finalize_state()


def build_models(train: pd.DataFrame, config: MLPConfig) -> tuple[keras.Model, keras.Model]:
    """(serving model, training model), sharing every layer.

    The training model outputs each member's probability (``member_i``, one loss each, so the
    members learn independently from different initial weights); the serving model outputs their
    mean as ``probability``. The Normalization layer is adapted on ``train``'s features.
    """
    inputs = {name: keras.Input(shape=(), name=name, dtype="float32") for name in INPUT_NAMES}
    count_features = CountFeatures(shrinkage_games=config.shrinkage_games, name="count_features")
    normalize = keras.layers.Normalization(axis=-1, name="normalize")
    normalize.adapt(np.asarray(count_features(model_inputs(train))))
    _silence_constant_features(normalize)
    features = normalize(count_features(inputs))
    members = [_member(features, inputs, config, member) for member in range(config.members)]
    mean = members[0] if len(members) == 1 else keras.layers.Average(name="member_mean")(members)
    serving = keras.Model(inputs=inputs, outputs={OUTPUT: mean}, name="score_beater")
    training = keras.Model(inputs=inputs, outputs={f"member_{i}": p for i, p in enumerate(members)})
    return serving, training


class _ServedLogLoss(keras.callbacks.Callback):
    """Logs ``val_log_loss`` of the served mean (not of each member) for early stopping."""

    def __init__(self, serving: keras.Model, validation: pd.DataFrame) -> None:
        super().__init__()
        self.serving = serving
        self.inputs = model_inputs(validation)
        self.label = validation[BEAT].to_numpy()

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        probability = self.serving.predict(self.inputs, batch_size=8192, verbose=0)[OUTPUT]
        loss = log_loss(self.label, np.clip(probability, 1e-7, 1 - 1e-7), labels=[0, 1])
        if logs is not None:
            logs["val_log_loss"] = float(loss)


class _EpochReport(keras.callbacks.Callback):
    """Hands each finished epoch's number and logs (loss, and val_log_loss when judged) to ``report``."""

    def __init__(self, report: Callable[[int, dict[str, float]], None]) -> None:
        super().__init__()
        self.report = report

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.report(epoch + 1, {name: float(value) for name, value in (logs or {}).items()})


def batch_size(rows: int, config: MLPConfig) -> int:
    """``config.batch_size``, or smaller so that an epoch has ``min_steps_per_epoch`` steps."""
    return int(min(config.batch_size, max(32, rows // config.min_steps_per_epoch)))


def fit_model(
    train: pd.DataFrame,
    config: MLPConfig,
    epochs: int | None = None,
    validation: pd.DataFrame | None = None,
    verbose: int = 0,
    report: Callable[[int, dict[str, float]], None] | None = None,
) -> TrainedModel:
    """Seeded, deterministic fit on labelled snapshot rows (``beat`` column).

    With ``validation`` (the selection season's rows at the evaluation fractions) it stops after
    ``patience`` epochs without a lower validation log loss of the served mean and keeps the best
    epoch's weights; otherwise it runs exactly ``epochs`` epochs (the count chosen that way).
    ``report(epoch, logs)`` is called after every epoch (progress).
    """
    configure_tensorflow()
    keras.utils.set_random_seed(config.seed)
    started, cpu_started = time.perf_counter(), time.process_time()
    serving, training = build_models(train, config)
    training.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate),
        loss={name: keras.losses.BinaryCrossentropy() for name in training.output},
    )
    callbacks: list[keras.callbacks.Callback] = []
    if validation is not None:
        callbacks = [
            _ServedLogLoss(serving, validation),
            keras.callbacks.EarlyStopping(
                monitor="val_log_loss", mode="min", patience=config.patience, restore_best_weights=True
            ),
        ]
    if report is not None:
        callbacks.append(_EpochReport(report))  # after _ServedLogLoss, so that the logs hold val_log_loss
    label = train[BEAT].to_numpy(np.float32)
    history = training.fit(
        model_inputs(train),
        dict.fromkeys(training.output, label),
        batch_size=batch_size(len(train), config),
        epochs=epochs or config.max_epochs,
        callbacks=callbacks,
        shuffle=True,
        verbose=verbose,
    ).history
    trained = int(np.argmin(history["val_log_loss"])) + 1 if validation is not None else len(history["loss"])
    return TrainedModel(
        model=serving,
        epochs=trained,
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu_started,
        history={name: list(values) for name, values in history.items()},
    )


def predict(model: keras.Model, frame: pd.DataFrame | Mapping[str, object], batch_size: int = 8192) -> np.ndarray:
    """Beat probabilities of the in-memory serving model (float64)."""
    output = model.predict(model_inputs(frame), batch_size=batch_size, verbose=0)
    return np.asarray(output[OUTPUT], dtype=np.float64).reshape(-1)


def export_model(model: keras.Model, path: str | Path) -> Path:
    """SavedModel whose ``serving_default`` maps the named ``(None,)`` float inputs to ``probability``."""
    path = Path(path)
    model.export(str(path), format="tf_saved_model", verbose=False)
    return path


def load_exported(path: str | Path) -> tf.Module:
    """The SavedModel as TF Serving sees it: ``tf.saved_model.load``, no Keras objects needed."""
    return tf.saved_model.load(str(path))


def predict_exported(loaded: tf.Module, frame: pd.DataFrame | Mapping[str, object]) -> np.ndarray:
    """Probabilities through the loaded SavedModel's ``serving_default`` signature (float64)."""
    signature = loaded.signatures["serving_default"]
    tensors = {name: tf.constant(values) for name, values in model_inputs(frame).items()}
    return np.asarray(signature(**tensors)[OUTPUT], dtype=np.float64).reshape(-1)


__all__ = [
    "OUTPUT",
    "AlreadyBeaten",
    "CountFeatures",
    "MLPConfig",
    "TrainedModel",
    "batch_size",
    "build_models",
    "configure_tensorflow",
    "export_model",
    "fit_model",
    "load_exported",
    "model_inputs",
    "predict",
    "predict_exported",
]
