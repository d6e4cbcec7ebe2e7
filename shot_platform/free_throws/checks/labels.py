"""Checks on free_throw_labels: every player the model predicts gets his label, and no other."""

from dagster import AssetCheckResult, asset_check

from shot_platform.free_throws.live_metrics import store_progress
from shot_platform.free_throws.resources import FreeThrowStoreResource
from shot_platform.free_throws.store import tables


@asset_check(asset="free_throw_labels", description="every player of season s - 1 has a label for s")
def labels_complete(free_throw_store: FreeThrowStoreResource) -> AssetCheckResult:
    """The labelled (season, player) pairs of a finished season are exactly its preseason feature
    rows (the players with a regular-season attempt the season before); in a season still in
    progress the labelled players (the beats so far) are a subset of them."""
    store = free_throw_store.get()
    features = store.load(tables.free_throw_player_features)
    progress = store_progress(store)
    preseason = features.loc[features["games_played"] == 0, ["season", "player"]]
    population = set(map(tuple, preseason.to_numpy()))
    labels = store.load(tables.free_throw_labels)
    labelled = set(map(tuple, labels[["season", "player"]].to_numpy()))
    complete = {season for season, state in progress.items() if state.complete}
    missing = {key for key in population - labelled if key[0] in complete}
    extra = labelled - population
    return AssetCheckResult(
        passed=not missing and not extra,
        metadata={
            "population": len(population),
            "labels": len(labelled),
            "without_label": len(missing),
            "label_without_features": len(extra),
            "seasons_in_progress": ", ".join(str(s) for s in sorted(set(progress) - complete)) or "none",
            "examples": str(sorted(missing)[:5] or "none"),
        },
    )
