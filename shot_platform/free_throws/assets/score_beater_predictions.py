"""score_beater_predictions: the champion's beat probability per player and point of the season, cached."""

from dagster import AssetExecutionContext, Config, MaterializeResult, asset

from shot_platform.core.asset_tags import PREDICTION_CACHE
from shot_platform.free_throws.resources import FreeThrowStoreResource, ScoreBeaterModelsResource
from shot_platform.free_throws.scoring import champion_scorer, prediction_points, refresh_predictions, snapshot_frame
from shot_platform.free_throws.store import tables


class ScoreBeaterPredictionsConfig(Config):
    """``full_refeed`` deletes the champion's cached predictions and predicts everything again."""

    full_refeed: bool = False


@asset(deps=["score_beater", "free_throw_player_features"], compute_kind="tensorflow", tags=PREDICTION_CACHE)
def score_beater_predictions(
    context: AssetExecutionContext,
    config: ScoreBeaterPredictionsConfig,
    free_throw_store: FreeThrowStoreResource,
    score_beater_models: ScoreBeaterModelsResource,
) -> MaterializeResult:
    """Probabilities in the `score_beater_predictions` table, keyed by season, player,
    games_played and model version: every player of the previous season at 0/25/50/75% of each
    season and after its latest stored game. A row is recomputed only when the model version or
    its exact inputs changed (`input_hash`).
    """
    store = free_throw_store.get()
    scorer = champion_scorer(score_beater_models.resolved_location(), score_beater_models.s3_endpoint_url or None)
    if scorer is None:
        context.log.warning("no score_beater champion yet: nothing to predict")
        return MaterializeResult(metadata={"rows": 0, "model_version": "", "status": "no score_beater champion yet"})
    history = store.load(tables.free_throw_player_features)
    latest = store.latest_games()
    snapshots = snapshot_frame(history, prediction_points(history, latest))
    report = refresh_predictions(store, scorer, snapshots, config.full_refeed)
    context.log.info(report.summary())
    return MaterializeResult(metadata=report.metadata(config.full_refeed))
