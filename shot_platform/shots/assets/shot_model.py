"""shot_model: train candidates on earlier games, keep the best, gate promotion."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)

from shot_platform.core.gate import decide_promotion
from shot_platform.core.plots import calibration_png, markdown_image, roc_png
from shot_platform.shots.models.training import held_out_evaluator, train_shot_model
from shot_platform.shots.resources import ShotModelStoreResource, ShotStoreResource

BEATS_BASE_RATE = "beats_base_rate"


class ShotModelConfig(Config):
    """``train_window_dates`` keeps only the most recent N game dates (None: all)."""

    train_window_dates: int | None = None


@asset(
    group_name="shots",
    deps=["player_features"],
    compute_kind="scikit-learn",
    check_specs=[
        AssetCheckSpec(BEATS_BASE_RATE, asset="shot_model", description="test log loss below the base rate's")
    ],
)
def shot_model(
    context: AssetExecutionContext,
    config: ShotModelConfig,
    shot_store: ShotStoreResource,
    shot_models: ShotModelStoreResource,
) -> MaterializeResult:
    """Make/miss classifier. Candidates (logistic regression, gradient boosting) train
    on the earliest games, the best by log loss on the next games is refit and
    scored on the latest games (a time split, never random). It becomes the
    champion only if it beats the base rate and is strictly better than the current
    champion on the same test games (a tie keeps the champion), after both models' training windows.
    """
    store, models = shot_store.get(), shot_models.get()
    shots, history = store.load_shots(), store.load_player_history()
    if config.train_window_dates:
        recent = shots["game_date"].drop_duplicates().nlargest(config.train_window_dates)
        shots = shots[shots["game_date"] >= recent.min()].reset_index(drop=True)
    result = train_shot_model(shots, history)
    model, metrics = result.model, result.model.metadata["metrics"]
    test_shots = shots[result.split.test]
    evaluate = held_out_evaluator(test_shots, history)
    decision = decide_promotion(models, model, evaluate)
    model.metadata["promotion"] = decision.as_dict()
    models.save(model)
    if decision.promote and models.champion_version() != decision.champion_version:
        # Another run promoted a model meanwhile: gate against that one instead.
        decision = decide_promotion(models, model, evaluate)
        models.update_promotion(model.version, decision.as_dict())
    if decision.promote:
        models.promote(model.version, decision.reason)
    context.log.info(f"model {model.version} ({model.metadata['candidate']}): {decision.reason}")

    test = result.test_frame
    candidates = result.candidates[["candidate", "valid_log_loss", "valid_auc", "test_log_loss", "test_auc"]]
    check = AssetCheckResult(
        check_name=BEATS_BASE_RATE,
        passed=bool(metrics["log_loss"] < metrics["base_rate_log_loss"]),
        severity=AssetCheckSeverity.ERROR,
        metadata={"log_loss": metrics["log_loss"], "base_rate_log_loss": metrics["base_rate_log_loss"]},
    )
    return MaterializeResult(
        metadata={
            "version": model.version,
            "candidate": model.metadata["candidate"],
            "promoted": decision.promote,
            "promotion_reason": decision.reason,
            "champion": models.champion_version() or "",
            "champion_log_loss_same_games": float(decision.champion_log_loss or float("nan")),
            "challenger_log_loss": decision.challenger_log_loss,
            "judged_after": decision.judged_after or "",
            "judged_rows": int(decision.judged_rows or 0),
            "trained_through_shot_id": int(model.metadata["trained_through_shot_id"] or 0),
            **{
                name: float(metrics[name])
                for name in ("auc", "log_loss", "brier", "accuracy", "base_rate", "base_rate_log_loss")
            },
            "test_rows": metrics["rows"],
            "train_dates": " to ".join(model.metadata["train_dates"]),
            "test_dates": " to ".join(model.metadata["test_dates"]),
            "candidates": MetadataValue.md(candidates.round(4).to_markdown(index=False)),
            "roc": markdown_image(roc_png(test["y"], test["probability"], "ROC, test games"), "ROC curve"),
            "calibration": markdown_image(
                calibration_png(test["y"], test["probability"], "Calibration, test games"), "calibration"
            ),
        },
        check_results=[check],
    )
