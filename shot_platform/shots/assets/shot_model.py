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
from shot_platform.shots.models.held_out import games_after_both_windows, held_out_evaluator
from shot_platform.shots.models.training import train_shot_model
from shot_platform.shots.models.training_input import champion_trained_on
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
    champion only if it beats the base rate and its log loss is strictly lower than the
    champion's on the same unseen games (after both training windows); a tie keeps the champion
    (``core.gate``). When the champion was trained from exactly these shots nothing is trained.
    """
    store, models = shot_store.get(), shot_models.get()
    shots, history = store.load_shots(), store.load_player_history()
    if config.train_window_dates:
        recent = shots["game_date"].drop_duplicates().nlargest(config.train_window_dates)
        shots = shots[shots["game_date"] >= recent.min()].reset_index(drop=True)
    champion = champion_trained_on(models, shots)
    if champion is not None:
        # The same shots would train the same model, which could only tie: nothing is trained or stored.
        return champion_kept(context, models.metadata(champion), champion)
    result = train_shot_model(shots, history)
    model, metrics = result.model, result.model.metadata["metrics"]
    evaluate = held_out_evaluator(shots[result.split.test], history)
    decision = decide_promotion(models, model, games_after_both_windows, evaluate)
    model.metadata["promotion"] = decision.as_metadata()
    models.save(model)
    if decision.promoted and models.champion_version() != decision.champion_version:
        # Another run promoted a model meanwhile: gate against that one instead.
        decision = decide_promotion(models, model, games_after_both_windows, evaluate)
        models.update_promotion(model.version, decision.as_metadata())
    if decision.promoted:
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
            "retrained": True,
            "promoted": decision.promoted,
            "promotion_reason": decision.reason,
            "champion": models.champion_version() or "",
            "champion_log_loss_same_games": float(decision.champion_log_loss or float("nan")),
            "challenger_log_loss": decision.challenger_log_loss,
            "judged_after": decision.held_out.key if decision.held_out else "",
            "judged_rows": decision.held_out.rows if decision.held_out else 0,
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


def champion_kept(context: AssetExecutionContext, metadata: dict, version: str) -> MaterializeResult:
    """The result of a run with nothing new to learn: the champion, unchanged, and its own check."""
    metrics = metadata.get("metrics", {})
    reason = f"not retrained: nothing new to learn (champion {version} was trained from these shots)"
    context.log.info(reason)
    check = AssetCheckResult(
        check_name=BEATS_BASE_RATE,
        passed=bool(metrics.get("log_loss", 1.0) < metrics.get("base_rate_log_loss", 0.0)),
        severity=AssetCheckSeverity.ERROR,
        metadata={name: float(metrics[name]) for name in ("log_loss", "base_rate_log_loss") if name in metrics},
    )
    return MaterializeResult(
        metadata={
            "version": version,
            "retrained": False,
            "promoted": False,
            "promotion_reason": reason,
            "champion": version,
            **{name: float(metrics[name]) for name in ("auc", "log_loss", "base_rate_log_loss") if name in metrics},
        },
        check_results=[check],
    )
