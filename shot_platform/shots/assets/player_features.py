"""player_features: point-in-time shooter and defender records, and current profiles."""

from dagster import AssetExecutionContext, Failure, MaterializeResult, MetadataValue, asset

from shot_platform.shots.features.player import build_player_history, latest_profiles
from shot_platform.shots.resources import ShotStoreResource


@asset(group_name="shots", deps=["raw_shots"], compute_kind="pandas")
def player_features(context: AssetExecutionContext, shot_store: ShotStoreResource) -> MaterializeResult:
    """Per player and game date: attempts, makes and shrunk make rates by zone, as
    shooter and as closest defender, *through* that date. A shot on date d reads
    the latest row before d. The latest row per player is his current profile,
    which scores new shots.
    """
    store = shot_store.get()
    shots = store.load_shots()
    if shots.empty:
        raise Failure("no shots stored yet: load a shot-logs file with `shot-platform ingest shots FILE` first",
                      allow_retries=False)  # fmt: skip
    history = build_player_history(shots)
    profiles = latest_profiles(history)
    store.replace_player_features(history, profiles)
    context.log.info(f"{len(history)} history rows, {len(profiles)} profiles")
    shooters = profiles[profiles["role"] == "shooter"].nlargest(10, "att_all")
    preview = shooters[["player_id", "through_date", "att_all", "rate_rim", "rate_three", "rate_all"]].copy()
    preview["through_date"] = preview["through_date"].dt.date.astype(str)
    return MaterializeResult(
        metadata={
            "history_rows": len(history),
            "shooters": int((profiles["role"] == "shooter").sum()),
            "defenders": int((profiles["role"] == "defender").sum()),
            "through_date": str(history["through_date"].max().date()) if len(history) else "",
            "busiest_shooters": MetadataValue.md(preview.round(3).to_markdown(index=False)),
        }
    )
