"""Jobs of the free-throw domain: the game-by-game sync and score_beater's retraining.

Their ``shot_platform/kind`` tags meet the instance's tag concurrency limit (``dagster.yaml`` and the
embedded instance of ``cli/materialize.py``: one run per kind at a time): one sync run at a time (two
would race for the same next game; the ledger would refuse the second, but only after it fetched the
game), and one retraining run at a time across both domains (two could pass the gate against the same
champion).
"""

from dagster import AssetSelection, define_asset_job

from shot_platform.free_throws.assets.flow_tables import WRITERS

SYNC_KIND = "free_throw_sync"
RETRAIN_KIND = "retrain"

free_throw_games_job = define_asset_job(
    "sync_free_throw_games",
    selection=AssetSelection.assets(*WRITERS, "score_beater_ground_truth"),
    description="Process the new final games from the Scores API (every table of the free_throw_games "
    "multi-asset: ledger, free throws, counts, features, labels, score_beater predictions after every game; run "
    "config `full_refeed` recomputes every prediction), then refresh the ground truth and the live metrics.",
    tags={"shot_platform/kind": SYNC_KIND},
)

retrain_score_beater_job = define_asset_job(
    "retrain_score_beater",
    selection=AssetSelection.assets("score_beater", "score_beater_ground_truth"),
    description="Train a score_beater challenger on the complete labelled seasons and promote it only if it beats "
    "the champion on a season neither trained on.",
    tags={"shot_platform/kind": RETRAIN_KIND},
)
