"""score_beater: the champion Keras MLP, trained and gated here, with its comparison and plots.

Materialising trains a challenger when there is something new to learn from: the first model of a
store (no champion yet, at least two complete seasons with a predecessor: one to train on, the
newest to judge on), new complete labelled seasons after the champion's training seasons (the
retraining sensor names them with ``judge_season``), or a ``judge_season`` given in the run config.
Training and the champion/challenger gate are ``flow.retrain.retrain_score_beater``, the same code
the sync command runs at a season boundary. The metadata shows the champion's comparison with the
base rate, logistic regression and HistGradientBoosting on its judged season (the same rows for
all), its log loss and AUC at 0/25/50/75% of that season, and its calibration there.
"""

import pandas as pd
from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset
from pydantic import Field

from shot_platform.core.plots import calibration_curve_png, markdown_image, metric_by_share_png
from shot_platform.free_throws.flow.retrain import complete_seasons, retrain_score_beater
from shot_platform.free_throws.resources import FreeThrowStoreResource, ScoreBeaterModelsResource
from shot_platform.free_throws.retraining import new_labels
from shot_platform.free_throws.run_hook import progress
from shot_platform.free_throws.schema import season_short


class ScoreBeaterConfig(Config):
    judge_season: int | None = Field(
        default=None,
        description="retrain and judge challenger and champion on this complete season (start year); "
        "default: the newest complete season the champion has not trained on, if any",
    )


def first_judge_season(seasons: list[int]) -> int | None:
    """For a store without a champion: the newest complete season, when an earlier one can train."""
    return seasons[-1] if len(seasons) >= 2 else None


def champion_metadata(metadata: dict, version: str) -> dict:
    """Dagster metadata from a version's registry metadata: comparison table, metrics, plots."""
    shown: dict = {}
    metrics = metadata.get("metrics", {})
    for name in ("log_loss", "auc", "base_rate_log_loss"):
        if name in metrics:
            shown[f"test_{name}"] = float(metrics[name])
    judged = ", ".join(season_short(int(s)) for s in metadata.get("test_seasons", []))
    trained = ", ".join(season_short(int(s)) for s in metadata.get("train_seasons", []))
    shown |= {"train_seasons": trained, "test_seasons": judged}
    if "comparison" in metadata:
        table = pd.DataFrame(metadata["comparison"]).T.rename_axis("model").reset_index()
        shown["comparison"] = MetadataValue.md(
            f"Judged on {judged} (trained on {trained}); log loss pooled over 0/25/50/75% of the season.\n\n"
            + table.to_markdown(index=False, floatfmt=".4f")
        )
    for name in ("epochs", "epochs_chosen_on", "train_rows", "train_seconds", "final_fit_cpu_seconds"):
        if name in metadata:
            shown[name] = metadata[name]
    judge = metadata.get("judge_metrics", {})
    fractions = metadata.get("eval_fractions", [])
    if judge and fractions:
        shares = pd.DataFrame(
            {
                "series": f"version {version}",
                "share": fractions,
                "log_loss": [judge.get(f"log_loss@{f:g}") for f in fractions],
                "base_log_loss": [judge.get(f"base_log_loss@{f:g}") for f in fractions],
                "auc": [judge.get(f"auc@{f:g}") for f in fractions],
            }
        )
        shown["log_loss_by_share_of_season"] = markdown_image(
            metric_by_share_png(shares, "log_loss", f"score_beater {version}: log loss on {judged}"), "log loss"
        )
        shown["auc_by_share_of_season"] = markdown_image(
            metric_by_share_png(shares.drop(columns="base_log_loss"), "auc", f"score_beater {version}: AUC"), "AUC"
        )
    if metadata.get("calibration"):
        bins = pd.DataFrame(metadata["calibration"])
        png = calibration_curve_png(
            bins["mean_probability"].to_numpy(), bins["beat_rate"].to_numpy(), f"score_beater {version} on {judged}",
            "beat probability",
        )  # fmt: skip
        shown["calibration"] = markdown_image(png, "calibration")
    return shown


@asset(deps=["free_throw_player_features", "free_throw_labels"], compute_kind="tensorflow")
def score_beater(
    context: AssetExecutionContext,
    config: ScoreBeaterConfig,
    free_throw_store: FreeThrowStoreResource,
    score_beater_models: ScoreBeaterModelsResource,
) -> MaterializeResult:
    """Will a player make more regular-season free throws this season than last? The champion's
    version, its comparison with the baselines, and the decision of a retraining when one was due."""
    store = free_throw_store.get()
    registry = score_beater_models.get()
    log = progress(context.log.info)
    due = new_labels(store, registry)
    judge_season = config.judge_season if config.judge_season is not None else due.judge_season
    metadata: dict = {"new_labelled_player_seasons": due.count, "labels": due.describe()}
    why = due.describe()
    if judge_season is None and registry.champion_version() is None:
        judge_season = first_judge_season(complete_seasons(store))
        why = "the store has no score_beater model yet"
    if judge_season is not None:
        log(
            f"training score_beater, judged on {season_short(judge_season)} (about a minute on 2 cores for "
            f"the real data's seasons): {why}"
        )
        # resume: a challenger of these labels saved by a run that was stopped is judged, not trained again
        outcome = retrain_score_beater(store, registry, judge_season=judge_season, resume=True)
        log(f"retraining: {outcome.get('reason', outcome)}")
        metadata |= {
            "judge_season": judge_season,
            "promoted": bool(outcome.get("promoted")),
            "promotion_reason": str(outcome.get("reason", "")),
        }
        if outcome.get("version"):
            metadata["challenger_version"] = str(outcome["version"])
    champion = registry.champion_version()
    if champion is None:
        context.log.warning(
            "no score_beater champion yet: it needs two complete seasons in the store (ingest more "
            "free-throw seasons), or promote a version with `shot-platform models promote --model score_beater`"
        )
    else:
        metadata |= champion_metadata(registry.metadata(champion), champion)
    return MaterializeResult(metadata={"champion": champion or "", **metadata})
