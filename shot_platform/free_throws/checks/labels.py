"""Checks on score_beater_ground_truth: every player the model predicts has a label."""

from dagster import AssetCheckResult, asset_check

from shot_platform.free_throws.resources import FreeThrowStoreResource
from shot_platform.free_throws.store import tables


@asset_check(asset="score_beater_ground_truth", description="every player of season s - 1 has a label for s")
def labels_complete(free_throw_store: FreeThrowStoreResource) -> AssetCheckResult:
    """The labelled (season, player) pairs are exactly the preseason feature rows: the population
    of players with a regular-season attempt the season before."""
    store = free_throw_store.get()
    features = store.load(tables.free_throw_player_features)
    population = set(map(tuple, features.loc[features["games_played"] == 0, ["season", "player"]].to_numpy()))
    labels = store.load(tables.free_throw_labels)
    labelled = set(map(tuple, labels[["season", "player"]].to_numpy()))
    missing, extra = population - labelled, labelled - population
    return AssetCheckResult(
        passed=not missing and not extra,
        metadata={
            "population": len(population),
            "labels": len(labelled),
            "without_label": len(missing),
            "label_without_features": len(extra),
            "examples": str(sorted(missing)[:5] or "none"),
        },
    )
