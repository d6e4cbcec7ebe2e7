"""score_beater: the model (Keras MLP) and its champion decision.

TODO(score_beater training): a skeleton for lineage; it reports the registry's champion. Training
(``model.fit_model`` on ``inputs.season_snapshots`` with ``labels.beat_labels``, from
``features.tables.load_counts``), the comparison with ``baselines`` and the gate replace this body;
``scoring.champion_scorer`` is where predictions load the champion.
"""

from dagster import AssetExecutionContext, MaterializeResult, asset

from shot_platform.core.resources import ModelStoreResource
from shot_platform.free_throws.scoring import champion_scorer


@asset(deps=["free_throw_player_features"], compute_kind="tensorflow")
def score_beater(context: AssetExecutionContext, model_store: ModelStoreResource) -> MaterializeResult:
    """Will a player make more regular-season free throws this season than last? The champion
    model's version (training lands with the score_beater registry)."""
    scorer = champion_scorer(model_store.resolved_location(), model_store.s3_endpoint_url or None)
    if scorer is None:
        context.log.warning("no score_beater model yet: training is not part of this build (see the asset's TODO)")
    return MaterializeResult(metadata={"champion": scorer.version if scorer else ""})
