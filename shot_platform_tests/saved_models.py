"""A small Keras model of score_beater's shape, exported as a SavedModel, for serving tests.

Named scalar float inputs (``inputs.INPUT_NAMES``), feature steps inside the model (a ratio, a
Normalization adapted on data), Dense layers and one ``probability`` output, exported with
``model.export(path, format="tf_saved_model")`` like the real model. Different seeds give
different weights, so versions can be told apart by their answers.

The model is built in a child process (``python -m shot_platform_tests.saved_models PATH SEED``):
TensorFlow in the pytest process would cost it 700 MB and its threads, and Click's runner
(used by other tests in the same process) closes the stderr those threads write to.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import numpy as np

from shot_platform.free_throws.inputs import INPUT_NAMES

VALID_INSTANCE = {
    "last_made": 120.0,
    "last_attempted": 150.0,
    "last_games": 70.0,
    "last_scheduled_games": 1230.0,
    "before_last_made": 100.0,
    "before_last_attempted": 130.0,
    "before_last_games": 60.0,
    "before_last_scheduled_games": 1230.0,
    "made": 40.0,
    "attempted": 52.0,
    "games": 25.0,
    "scheduled_games": 1230.0,
    "season_share": 0.3,
}


def random_instances(count: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Valid inputs (made <= attempted, games <= attempted <= 50 x games, ...) as float64 columns."""
    rng = np.random.default_rng(seed)

    def season(minimum_attempted: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        attempted = rng.integers(minimum_attempted, 600, count).astype(float)
        made = np.floor(attempted * rng.uniform(0.4, 0.95, count))
        games = np.clip(rng.integers(1, 82, count), np.ceil(attempted / 50), attempted).astype(float)
        return made, attempted, games

    last_made, last_attempted, last_games = season(1)
    before_made, before_attempted, before_games = season(0)
    made, attempted, games = season(0)
    return {
        "last_made": last_made,
        "last_attempted": last_attempted,
        "last_games": last_games,
        "last_scheduled_games": np.full(count, 1230.0),
        "before_last_made": before_made,
        "before_last_attempted": before_attempted,
        "before_last_games": before_games,
        "before_last_scheduled_games": np.full(count, 1230.0),
        "made": made,
        "attempted": attempted,
        "games": games,
        "scheduled_games": np.full(count, 1230.0),
        "season_share": rng.uniform(0, 1, count).round(4),
    }


PROBE = random_instances(64, seed=99)  # instances whose answers are recorded at training time
_CACHE = Path(tempfile.gettempdir()) / f"shot_platform_exports_{os.getpid()}_{uuid.uuid4().hex[:8]}"
_EXPORTS: dict[int, Path] = {}  # seed -> this process's first export with that seed, under _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)


def _first_export(seed: int) -> Path:
    if seed not in _EXPORTS:
        path = _CACHE / str(seed)
        shutil.rmtree(path, ignore_errors=True)  # what a failed build left
        _CACHE.mkdir(exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "shot_platform_tests.saved_models", str(path), str(seed)],
            check=True,
            capture_output=True,
            timeout=300,
        )
        _EXPORTS[seed] = path
    return _EXPORTS[seed]


def export_model(path: Path, seed: int = 0) -> np.ndarray:
    """Build, fit briefly (seeded) and export to ``path`` in a child process; returns the
    in-memory model's probabilities for ``PROBE`` (what training saw), to compare with reloads.

    Each seed is built once per test process (the child process with TensorFlow costs seconds
    of CPU); every call gets its own copy of that export's files at ``path``."""
    shutil.copytree(_first_export(seed), path, dirs_exist_ok=True)
    return np.array(json.loads((path / "assets.extra" / "probe.json").read_text()))


def _build_and_export(path: Path, seed: int) -> None:
    import keras

    keras.utils.set_random_seed(seed)
    inputs = {name: keras.Input(shape=(), name=name, dtype="float32") for name in INPUT_NAMES}
    columns = [keras.layers.Reshape((1,))(inputs[name]) for name in INPUT_NAMES]
    share = keras.layers.Lambda(lambda x: x[0] / (x[1] + 1.0), output_shape=(1,))(
        [columns[INPUT_NAMES.index("made")], columns[INPUT_NAMES.index("last_made")]]
    )
    features = keras.layers.Concatenate()([*columns, share])
    normalize = keras.layers.Normalization()
    train = random_instances(512, seed)
    matrix = np.column_stack([train[name] for name in INPUT_NAMES] + [train["made"] / (train["last_made"] + 1)])
    normalize.adapt(matrix.astype("float32"))
    hidden = keras.layers.Dense(8, activation="relu")(normalize(features))
    probability = keras.layers.Reshape(())(keras.layers.Dense(1, activation="sigmoid")(hidden))
    model = keras.Model(inputs, {"probability": probability})
    label = (train["made"] / np.maximum(train["last_made"], 1) > train["season_share"]).astype("float32")
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss={"probability": "binary_crossentropy"})
    model.fit({k: v.astype("float32") for k, v in train.items()}, {"probability": label}, epochs=2, verbose=0)
    trained = model({name: PROBE[name].astype("float32") for name in INPUT_NAMES})["probability"]
    model.export(str(path), format="tf_saved_model", verbose=False)
    # assets.extra/ is where TF Serving expects extra files of a version (it ignores them).
    (path / "assets.extra").mkdir()
    (path / "assets.extra" / "probe.json").write_text(json.dumps(np.asarray(trained, dtype=float).tolist()))


if __name__ == "__main__":
    _build_and_export(Path(sys.argv[1]), int(sys.argv[2]))
