"""shot_predictions: the champion's make probability for every stored shot, cached."""

from dagster import AssetExecutionContext, Config, MaterializeResult, asset

from shot_platform.core.asset_tags import PREDICTION_CACHE
from shot_platform.shots.resources import ShotModelStoreResource, ShotStoreResource
from shot_platform.shots.scoring import refresh_store_predictions


class PredictionsConfig(Config):
    """``full_refeed`` recomputes every row even where nothing changed."""

    full_refeed: bool = False


@asset(group_name="shots", deps=["shot_model", "player_features"], compute_kind="scikit-learn", tags=PREDICTION_CACHE)
def shot_predictions(
    context: AssetExecutionContext,
    config: PredictionsConfig,
    shot_store: ShotStoreResource,
    shot_models: ShotModelStoreResource,
) -> MaterializeResult:
    """Probabilities in the `shot_predictions` table, keyed by shot. A row is
    recomputed only when the champion version or the row's features changed
    (a hash of the feature vector), so an unchanged model recomputes nothing.
    """
    store, models = shot_store.get(), shot_models.get()
    model = models.load()
    report, _ = refresh_store_predictions(store, model, store.load_player_history(), config.full_refeed)
    context.log.info(report.summary())
    return MaterializeResult(metadata=report.metadata(config.full_refeed))
