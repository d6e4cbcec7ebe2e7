"""free_throw_games: the free-throw flow, one multi-asset writing every table of the flow (``flow_tables``).

Two modes of the same asset, so that each table has one writer:

- incremental (the games job, the sensor, ``shot-platform sync free-throws``): final games from the
  Scores API, one at a time in game_id order, through the sync engine: their free throws into
  ``free_throws`` (validated, bad rows and bad games quarantined), counts, point-in-time features,
  labels as they become known and the score_beater predictions after every game (preseason ones
  before a season's first game), through the prediction cache. The ledger makes a rerun a no-op.
- batch (``batch_mode``): each selected table rebuilt from the stored free throws, when no games
  were synced in the step (no Scores API configured, or ``free_throw_games`` not selected) or the
  run config asks for a ``rebuild``. Files given in ``paths`` are ingested first.

The multi-asset can be subset: ``score_beater`` reads the features and the predictions read
``score_beater``, so a run of the whole group executes it in two steps around the training.
"""

import functools
from collections.abc import Callable, Iterator

from dagster import (
    AssetExecutionContext,
    AssetKey,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)
from pydantic import Field

from shot_platform.core.ingest.raw_data import ingest_paths
from shot_platform.free_throws.assets import batch_mode
from shot_platform.free_throws.assets.flow_tables import (
    FEATURES,
    GAMES,
    LABELS,
    PLAYER_GAMES,
    PREDICTIONS,
    RAW,
    flow_specs,
)
from shot_platform.free_throws.flow.scorers import NoModelError
from shot_platform.free_throws.flow.sync import SyncReport, sync_free_throws
from shot_platform.free_throws.ingest.events import ingest_free_throw_file
from shot_platform.free_throws.resources import (
    FreeThrowStoreResource,
    ScoreBeaterModelsResource,
    ScoreBeaterScorerResource,
)
from shot_platform.free_throws.run_hook import observe_error, observe_report, observed_errors, progress
from shot_platform.free_throws.scores_api import ScoresApiClient, ScoresApiConfigError, ScoresApiError
from shot_platform.free_throws.scores_api.resource import ScoresApiResource
from shot_platform.free_throws.scoring import champion_scorer

WRITTEN_BY_SYNC = "the game-by-game sync of this run"


class FreeThrowGamesConfig(Config):
    full_refeed: bool = Field(
        default=False, description="delete the champion's cached predictions and predict every processed game again"
    )
    max_games: int | None = Field(
        default=None,
        ge=0,
        description="process at most this many games (the sensor's batch; 0: only check processed games' results "
        "for corrections); default: all final ones",
    )
    paths: list[str] = Field(default=[], description="free-throw files to ingest into raw_free_throws first")
    rebuild: bool = Field(
        default=False,
        description="batch mode: rebuild the selected tables from the stored free throws even after a sync",
    )


def sync_metadata(report: SyncReport, full_refeed: bool) -> dict:
    return {
        "games_processed": report.games_processed,
        "last_game": report.last_game if report.last_game is not None else "",
        "predictions_computed": report.predictions_computed,
        "predictions_reused": report.predictions_reused,
        "cache_hit_rate": report.cache_hit_rate,
        "labels_new": report.labels_new,
        "quarantined": report.quarantined,
        "corrected_results": MetadataValue.md("\n".join(f"- {line}" for line in report.corrections) or "none"),
        "model_version": report.model_version,
        "full_refeed": full_refeed,
        "waiting_for_game": report.waiting_for if report.waiting_for is not None else "",
        "problems": "; ".join(report.problems) or "none",
        "seconds": MetadataValue.json({name: round(value, 3) for name, value in report.seconds.items()}),
    }


def synced_games(
    context: AssetExecutionContext,
    full_refeed: bool,
    scores_api: ScoresApiResource,
    sync: Callable[[ScoresApiClient], SyncReport],
) -> tuple[dict, bool]:
    """The incremental mode, ``sync`` run with the Scores API's client: (free_throw_games metadata,
    whether games were synced)."""
    try:
        client = scores_api.get_client()
    except ScoresApiConfigError as error:
        context.log.warning(f"no Scores API configured: {error}")
        return {"games_processed": 0, "status": f"no Scores API configured: {error}"}, False
    try:
        report = sync(client)
    except NoModelError as error:
        observe_error(error)
        raise Failure(str(error)) from None
    except ScoresApiError as error:
        observe_error(error)
        raise Failure(f"the Scores API failed after the games already committed: {error}") from None
    finally:
        client.close()
    observe_report(report)
    context.log.info(report.summary())
    return sync_metadata(report, full_refeed), True


@multi_asset(name=GAMES, specs=flow_specs(), can_subset=True)
def free_throw_games(
    context: AssetExecutionContext,
    config: FreeThrowGamesConfig,
    free_throw_store: FreeThrowStoreResource,
    score_beater_models: ScoreBeaterModelsResource,
    scores_api: ScoresApiResource,
    score_beater_scorer: ScoreBeaterScorerResource,
) -> Iterator[MaterializeResult]:
    """The free-throw flow's tables, from the Scores API game by game, or rebuilt from the stored
    free throws (see the module's docstring): the games (incremental mode) when selected, then the tables."""
    with observed_errors():
        selected = {key.to_user_string() for key in context.selected_asset_keys}
        store = free_throw_store.get()
        if RAW in selected and config.paths:
            ingest_paths(context, store, config.paths, ingest_free_throw_file)
        synced = False
        if GAMES in selected:
            sync = functools.partial(
                sync_free_throws,
                store,
                score_beater_models.get(),
                full_refeed=config.full_refeed,
                max_games=config.max_games,
                progress=progress(context.log.info),
                scorer=score_beater_scorer.get(),
                # Retraining is Dagster's decision (the labels sensor and retrain_score_beater, or the
                # sync command's same decision between its games runs), never inside a games run.
                retrain=False,
            )
            metadata, synced = synced_games(context, config.full_refeed, scores_api, sync)
            yield MaterializeResult(asset_key=AssetKey(GAMES), metadata=metadata)
        batch = config.rebuild or not synced
        if RAW in selected:
            yield MaterializeResult(asset_key=AssetKey(RAW), metadata=batch_mode.raw_metadata(context, store))
        yield from (
            batch_results(context, config, store, score_beater_models, score_beater_scorer, selected)
            if batch
            else synced_results(selected)
        )


def synced_results(selected: set[str]) -> Iterator[MaterializeResult]:
    """The tables the sync engine wrote game by game in this step."""
    for key in (PLAYER_GAMES, FEATURES, LABELS, PREDICTIONS):
        if key in selected:
            yield MaterializeResult(
                asset_key=AssetKey(key), metadata={"mode": "incremental", "written_by": WRITTEN_BY_SYNC}
            )


def batch_results(
    context: AssetExecutionContext,
    config: FreeThrowGamesConfig,
    store,
    score_beater_models: ScoreBeaterModelsResource,
    score_beater_scorer: ScoreBeaterScorerResource,
    selected: set[str],
) -> Iterator[MaterializeResult]:
    """The batch mode: each selected table rebuilt from the stored free throws."""
    mode = {"mode": "batch"}
    if PLAYER_GAMES in selected or FEATURES in selected:
        write = (("counts",) if PLAYER_GAMES in selected else ()) + (("features",) if FEATURES in selected else ())
        player_games, features = batch_mode.rebuild_counts_and_features(store, write, context.log.info)
        if PLAYER_GAMES in selected:
            yield MaterializeResult(asset_key=AssetKey(PLAYER_GAMES), metadata=player_games | mode)
        if FEATURES in selected:
            yield MaterializeResult(asset_key=AssetKey(FEATURES), metadata=features | mode)
    if LABELS in selected:
        yield MaterializeResult(asset_key=AssetKey(LABELS), metadata=batch_mode.rebuild_labels(store) | mode)
    if PREDICTIONS in selected:
        scorer = score_beater_scorer.get() or champion_scorer(
            score_beater_models.resolved_location(), score_beater_models.s3_endpoint_url or None
        )
        metadata = batch_mode.rebuild_predictions(store, scorer, config.full_refeed, context.log.warning)
        yield MaterializeResult(asset_key=AssetKey(PREDICTIONS), metadata=metadata | mode)
