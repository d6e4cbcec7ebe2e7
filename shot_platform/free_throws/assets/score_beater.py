"""score_beater: the model (Keras MLP) and its champion decision.

TODO(score_beater training): training itself (``model.fit_model`` on ``inputs.season_snapshots``
with ``labels.beat_labels``, from ``features.tables.load_counts``; the comparison with
``baselines``) is not in this build; ``scoring.champion_scorer`` is where predictions load the
champion. This asset already runs the retraining path of the game-by-game flow: with new complete
labels (or ``judge_season`` from the labels sensor) it calls ``flow.retrain.retrain_score_beater``,
the one place the flow trains and gates a challenger, and reports its decision.
"""

from dagster import AssetExecutionContext, Config, MaterializeResult, asset
from pydantic import Field

from shot_platform.core.resources import ModelStoreResource
from shot_platform.free_throws.flow.retrain import retrain_score_beater
from shot_platform.free_throws.resources import FreeThrowStoreResource, registry_of
from shot_platform.free_throws.retraining import new_labels


class ScoreBeaterConfig(Config):
    judge_season: int | None = Field(
        default=None,
        description="retrain and judge challenger and champion on this complete season (start year); "
        "default: the newest complete season the champion has not trained on, if any",
    )


@asset(deps=["free_throw_player_features"], compute_kind="tensorflow")
def score_beater(
    context: AssetExecutionContext,
    config: ScoreBeaterConfig,
    free_throw_store: FreeThrowStoreResource,
    model_store: ModelStoreResource,
) -> MaterializeResult:
    """Will a player make more regular-season free throws this season than last? The champion's
    version, and the champion/challenger decision of a retraining on labels it has not seen."""
    store = free_throw_store.get()
    registry = registry_of(model_store)
    due = new_labels(store, registry)
    judge_season = config.judge_season if config.judge_season is not None else due.judge_season
    metadata: dict = {"new_labelled_player_seasons": due.count, "labels": due.describe()}
    if judge_season is not None:
        context.log.info(f"retraining score_beater, judged on {judge_season}: {due.describe()}")
        outcome = retrain_score_beater(store, registry, judge_season=judge_season)
        context.log.info(f"retraining: {outcome.get('reason', outcome)}")
        metadata |= {
            "judge_season": judge_season,
            "promoted": bool(outcome.get("promoted")),
            "promotion_reason": str(outcome.get("reason", "")),
        }
    champion = registry.champion_version()
    if champion is None:
        context.log.warning("no score_beater champion yet: promote a version with `shot-platform models promote`")
    return MaterializeResult(metadata={"champion": champion or "", **metadata})
