"""free_throw_games: final games from the Scores API, processed one at a time by the sync engine."""

from dagster import AssetExecutionContext, Config, Failure, MaterializeResult, MetadataValue, asset
from pydantic import Field

from shot_platform.free_throws.flow.scorers import NoModelError
from shot_platform.free_throws.flow.sync import sync_free_throws
from shot_platform.free_throws.resources import (
    FreeThrowStoreResource,
    ScoreBeaterModelsResource,
    ScoreBeaterScorerResource,
)
from shot_platform.free_throws.scores_api import ScoresApiConfigError, ScoresApiError
from shot_platform.free_throws.scores_api.resource import ScoresApiResource


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


@asset(compute_kind="http")
def free_throw_games(
    context: AssetExecutionContext,
    config: FreeThrowGamesConfig,
    free_throw_store: FreeThrowStoreResource,
    score_beater_models: ScoreBeaterModelsResource,
    scores_api: ScoresApiResource,
    score_beater_scorer: ScoreBeaterScorerResource,
) -> MaterializeResult:
    """Final games from the Scores API (`SHOT_PLATFORM_SCORES_API_URL`), one at a time in game_id
    order, through the sync engine: their free throws into `free_throws` (validated, bad rows and
    bad games quarantined), counts, point-in-time features, labels as they become known, and the
    score_beater predictions after every game (preseason ones before a season's first game),
    through the prediction cache. The ledger (`free_throw_processed_games`) makes a rerun a no-op.
    """
    try:
        client = scores_api.get_client()
    except ScoresApiConfigError as error:
        context.log.warning(f"no Scores API configured: {error}")
        return MaterializeResult(metadata={"games_processed": 0, "status": f"no Scores API configured: {error}"})
    registry = score_beater_models.get()
    try:
        report = sync_free_throws(
            free_throw_store.get(),
            registry,
            client,
            full_refeed=config.full_refeed,
            max_games=config.max_games,
            progress=context.log.info,
            scorer=score_beater_scorer.get(),
            # Under Dagster the labels sensor retrains, in its own run (one retraining run at a time),
            # never inside a games run; the games sensor's runs stop at a season's end and the next
            # season waits for that run (sensors.py), so retraining still precedes its preseason.
            retrain=False,
        )
    except NoModelError as error:
        raise Failure(str(error)) from None
    except ScoresApiError as error:
        raise Failure(f"the Scores API failed after the games already committed: {error}") from None
    finally:
        client.close()
    context.log.info(report.summary())
    return MaterializeResult(
        metadata={
            "games_processed": report.games_processed,
            "last_game": report.last_game if report.last_game is not None else "",
            "predictions_computed": report.predictions_computed,
            "predictions_reused": report.predictions_reused,
            "cache_hit_rate": report.cache_hit_rate,
            "labels_new": report.labels_new,
            "quarantined": report.quarantined,
            "corrected_results": MetadataValue.md("\n".join(f"- {line}" for line in report.corrections) or "none"),
            "model_version": report.model_version,
            "full_refeed": config.full_refeed,
            "waiting_for_game": report.waiting_for if report.waiting_for is not None else "",
            "problems": "; ".join(report.problems) or "none",
            "seconds": MetadataValue.json({name: round(value, 3) for name, value in report.seconds.items()}),
        }
    )
