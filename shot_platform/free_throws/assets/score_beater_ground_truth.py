"""score_beater_ground_truth: the labels, and how the stored predictions fared against them."""

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from shot_platform.core.plots import calibration_png, markdown_image, metric_by_share_png
from shot_platform.free_throws.evaluation import EVAL_FRACTIONS, score_report
from shot_platform.free_throws.features.tables import load_counts
from shot_platform.free_throws.inputs import games_at_fractions
from shot_platform.free_throws.labels import BEAT, beat_labels
from shot_platform.free_throws.resources import FreeThrowStoreResource
from shot_platform.free_throws.schema import season_short
from shot_platform.free_throws.store import tables


def evaluation_rows(predictions: pd.DataFrame, labels: pd.DataFrame, scheduled: pd.Series) -> pd.DataFrame:
    """Predictions at the evaluation points of their season, with their label and ``fraction``."""
    points = [
        {"season": int(season), "games_played": k, "fraction": fraction}
        for season, games in scheduled.items()
        for fraction, k in zip(EVAL_FRACTIONS, games_at_fractions(int(games), EVAL_FRACTIONS), strict=True)
    ]
    at_points = predictions.merge(pd.DataFrame(points, columns=["season", "games_played", "fraction"]))
    return at_points.merge(labels[["season", "player", BEAT]], on=["season", "player"], how="inner")


def live_metrics(rows: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Per model version and season: the pooled metric and its value at each fraction.

    The base rate of season s is the beat share of the labelled seasons before s (what a model
    trained on them would predict); the first labelled season has none and is compared with 0.5.
    """
    reports = []
    for (version, season), group in rows.groupby(["model_version", "season"]):
        before = labels.loc[labels["season"] < season, BEAT]
        base_rate = float(before.mean()) if len(before) else 0.5
        report = score_report(group[BEAT].to_numpy(), group["probability"].to_numpy(), group["fraction"], base_rate)
        reports.append({"model_version": version, "season": int(season), "base_rate": base_rate, **report})
    return pd.DataFrame(reports)


@asset(deps=["score_beater_predictions", "free_throw_player_features"], compute_kind="pandas")
def score_beater_ground_truth(
    context: AssetExecutionContext, free_throw_store: FreeThrowStoreResource
) -> MaterializeResult:
    """The label of every player of season s - 1 for season s (beat = more regular-season free
    throws made in s than in s - 1; absent from s is 0 made, not beaten), in the
    `free_throw_labels` table; and each model version's log loss, AUC and calibration on them at
    0/25/50/75% of each season, pooled and by share of the season played.

    Every season in the store is taken as complete (files hold whole seasons); in the
    game-by-game flow a label is known early once a player has beaten last season's count.
    """
    store = free_throw_store.get()
    counts = load_counts(store)
    labels = (
        beat_labels(counts.totals)
        if len(counts.totals)
        else pd.DataFrame(columns=["season", "player", "last_made", "made", BEAT])
    )
    store.replace({tables.free_throw_labels: labels})
    rows = evaluation_rows(store.load_predictions(), labels, counts.scheduled_games)
    metrics = live_metrics(rows, labels)
    per_season = labels.groupby("season")[BEAT].agg(["size", "mean"]).reset_index()
    per_season["season"] = per_season["season"].map(season_short)
    metadata: dict = {
        "labels": len(labels),
        "labelled_seasons": int(labels["season"].nunique()),
        "beat_rate": float(labels[BEAT].mean()) if len(labels) else 0.0,
        "labels_per_season": MetadataValue.md(
            per_season.rename(columns={"size": "players", "mean": "beat_rate"}).round(3).to_markdown(index=False)
            if len(per_season)
            else "no labels yet"
        ),
        "labelled_predictions": len(rows),
    }
    if len(metrics):
        newest = metrics["model_version"].max()
        mine = rows[rows["model_version"] == newest]
        by_share = pd.DataFrame(
            [
                {
                    "series": season_short(int(r["season"])),
                    "share": fraction,
                    "log_loss": r[f"log_loss@{fraction:g}"],
                    "base_log_loss": r[f"base_log_loss@{fraction:g}"],
                    "auc": r[f"auc@{fraction:g}"],
                }
                for _, r in metrics[metrics["model_version"] == newest].iterrows()
                for fraction in EVAL_FRACTIONS
            ]
        )
        pooled = score_report(mine[BEAT].to_numpy(), mine["probability"].to_numpy(), mine["fraction"], 0.5)
        table = metrics[["model_version", "season", "rows", "auc", "log_loss", "base_log_loss"]].copy()
        table["season"] = table["season"].map(season_short)
        metadata |= {
            "model_version": newest,
            "pooled_log_loss": float(pooled["log_loss"]),
            "pooled_auc": float(pooled["auc"]),
            "metrics_by_season": MetadataValue.md(table.round(4).to_markdown(index=False)),
            "calibration": markdown_image(
                calibration_png(mine[BEAT].to_numpy(), mine["probability"].to_numpy(), f"score_beater {newest}"),
                "calibration",
            ),
            "log_loss_by_share_of_season": markdown_image(
                metric_by_share_png(by_share, "log_loss", f"score_beater {newest}: log loss"), "log loss by share"
            ),
            "auc_by_share_of_season": markdown_image(
                metric_by_share_png(by_share.drop(columns="base_log_loss"), "auc", f"score_beater {newest}: AUC"),
                "AUC by share",
            ),
        }
    context.log.info(f"{len(labels)} labels; {len(rows)} predictions at evaluation points have a label")
    return MaterializeResult(metadata=metadata)
