"""The platform's one prediction cache (core.prediction_cache), on a domain-free table of its own."""

from __future__ import annotations

import numpy as np
import pandas as pd

from shot_platform.core.prediction_cache import PredictionTable, refresh_predictions, row_hashes

TABLE = PredictionTable(["id"], "input_hash", "probability")


class Stored:
    """An in-memory prediction table: what the domain's store would read and write."""

    def __init__(self) -> None:
        self.rows = pd.DataFrame(columns=["id", "model_version", "input_hash", "probability"])
        self.predicted: list[list[int]] = []

    def write(self, frame: pd.DataFrame) -> int:
        kept = self.rows[~self.rows["id"].isin(frame["id"])]
        self.rows = pd.concat([kept, frame], ignore_index=True) if len(kept) else frame.reset_index(drop=True)
        return len(frame)

    def refresh(self, inputs: pd.DataFrame, version: str, full_refeed: bool = False):
        rows = inputs[["id"]].assign(input_hash=row_hashes(inputs[["x"]]))

        def predict(stale: np.ndarray) -> np.ndarray:
            self.predicted.append(inputs.loc[stale, "id"].tolist())
            return inputs.loc[stale, "x"].to_numpy() / 10 + (0.5 if version == "2" else 0.0)

        return refresh_predictions(rows, self.rows, version, TABLE, predict, self.write, full_refeed)


def test_only_rows_whose_inputs_or_model_version_changed_are_predicted_again():
    store = Stored()
    inputs = pd.DataFrame({"id": [1, 2, 3], "x": [1.0, 2.0, 3.0]})
    report, probability = store.refresh(inputs, "1")
    assert (report.rows, report.recomputed, report.reused) == (3, 3, 0)
    np.testing.assert_allclose(probability, [0.1, 0.2, 0.3])

    changed = inputs.assign(x=[1.0, 2.5, 3.0])
    report, probability = store.refresh(changed, "1")
    assert (report.recomputed, report.reused) == (1, 2) and store.predicted[-1] == [2]
    np.testing.assert_allclose(probability, [0.1, 0.25, 0.3])  # reused rows keep their stored answer

    report, probability = store.refresh(changed, "2")  # a new champion: nothing of version 1 is reused
    assert (report.recomputed, report.reused, report.model_version) == (3, 0, "2")
    np.testing.assert_allclose(probability, [0.6, 0.75, 0.8])

    report, _ = store.refresh(changed, "2", full_refeed=True)
    assert (report.recomputed, report.reused) == (3, 0)
    assert sorted(store.rows["id"]) == [1, 2, 3] and set(store.rows["model_version"]) == {"2"}


def test_row_hashes_are_the_exact_values_as_sixteen_hex_digits():
    frame = pd.DataFrame({"a": [1.0, 1.0, 1.0 + 1e-15], "b": [2.0, 2.0, 2.0]})
    hashes = row_hashes(frame)
    assert hashes[0] == hashes[1] != hashes[2]
    expected = pd.util.hash_pandas_object(frame, index=False)
    assert hashes.tolist() == [f"{value:016x}" for value in expected]
