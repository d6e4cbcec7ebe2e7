"""The service's request-log writer: a row the database refuses cannot block the others."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shot_platform.shots.serving.request_log import shot_request_log
from shot_platform.shots.serving.schema import ShotsInput
from shot_platform.shots.store import ShotStore

SHOT = {
    "SHOT_DIST": 12.5, "CLOSE_DEF_DIST": 3.1, "DRIBBLES": 2, "TOUCH_TIME": 2.1, "PERIOD": 1, "GAME_CLOCK": "5:12",
    "PTS_TYPE": 2, "LOCATION": "H", "player_id": 7, "CLOSEST_DEFENDER_PLAYER_ID": 8,
}  # fmt: skip


def test_a_refused_row_is_dropped_and_counted_the_rest_are_written(tmp_path: Path):
    store = ShotStore(f"sqlite:///{tmp_path / 'store.db'}")
    store.create_schema()
    writer = shot_request_log(store)
    good = ShotsInput.model_validate([SHOT, SHOT]).root
    poison = good[0].model_copy(update={"player_id": None})  # NOT NULL in the table
    writer.record(good, np.array([0.4, 0.5]), "v1", "a")
    writer.record([poison], np.array([0.6]), "v1", "b")
    writer.record(good, np.array([0.7, 0.8]), "v1", "c")

    assert writer.flush() == 4
    assert (writer.written, writer.dropped, writer.pending) == (4, 1, 0)
    assert store.load_request_log()["make_probability"].tolist() == [0.4, 0.5, 0.7, 0.8]
    writer.record(good, np.array([0.1, 0.2]), "v1", "d")  # and later writes still go through
    assert writer.flush() == 2
