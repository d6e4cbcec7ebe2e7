"""score_beater_ground_truth: the labels known so far, and how the served predictions fared (live metrics)."""

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from shot_platform.core.plots import calibration_png, markdown_image, metric_by_share_png
from shot_platform.free_throws.evaluation import EVAL_FRACTIONS
from shot_platform.free_throws.labels import BEAT
from shot_platform.free_throws.live_metrics import (
    KNOWN_AT,
    LiveReport,
    calibration_table,
    has_population,
    load_live_report,
    registry_test_log_losses,
)
from shot_platform.free_throws.resources import FreeThrowStoreResource, ScoreBeaterModelsResource
from shot_platform.free_throws.schema import SEASON, season_short

# The first season of the data: nobody to beat, so it is neither complete nor partial.
NO_POPULATION = "no labels: no previous season in the data"


def season_table(report: LiveReport) -> pd.DataFrame:
    """Per season: its progress, the population, the labels known and the beats so far."""
    rows = []
    for season, state in sorted(report.progress.items()):
        labels = report.labels[report.labels[SEASON] == season]
        known = labels.dropna(subset=[KNOWN_AT])
        rows.append(
            {
                "season": season_short(season),
                "status": state.describe() if has_population(report.progress, season) else NO_POPULATION,
                "players": len(labels),
                "labels_known": len(known),
                "beats": int(known[BEAT].sum()),
                "beat_rate": float(known[BEAT].mean()) if state.complete and len(known) else None,
            }
        )
    return pd.DataFrame(rows, columns=["season", "status", "players", "labels_known", "beats", "beat_rate"])


def quarantined_seasons(report: LiveReport) -> str:
    """Seasons whose labels are not final because regular-season games of theirs are quarantined."""
    return "; ".join(
        f"{season_short(season)}: games {', '.join(map(str, state.quarantined))} (labels of "
        f"{season_short(season)}{' and ' + season_short(season + 1) if season + 1 in report.progress else ''} "
        "not final)"
        for season, state in sorted(report.progress.items())
        if state.quarantined
    )


def live_seasons(report: LiveReport) -> str:
    """Per served version: its out-of-sample (live) seasons and its training window."""
    live = report.live_by_season
    return "; ".join(
        f"version {version}: "
        + (
            ", ".join(season_short(int(s)) for s in sorted(live.loc[live["model_version"] == version, SEASON]))
            or "none"
        )
        + f" ({report.windows[version].describe() if version in report.windows else 'training window unknown'})"
        for version in report.versions()
    )


def metrics_table(by_season: pd.DataFrame, columns: list[str]) -> str:
    """``by_season``'s rows as a markdown table with ``columns`` and the log loss at each fraction."""
    table = by_season[columns].copy()
    for fraction in EVAL_FRACTIONS:
        table[f"log_loss@{fraction:g}"] = by_season[f"log_loss@{fraction:g}"]
    table[SEASON] = table[SEASON].map(season_short)
    return table.round(4).to_markdown(index=False)


def _share_table(by_season: pd.DataFrame, version: str) -> pd.DataFrame:
    """log loss / AUC by share of the season, one series per season, for the plots."""
    mine = by_season[by_season["model_version"] == version]
    return pd.DataFrame(
        [
            {
                "series": season_short(int(row[SEASON])) + ("" if row["complete"] else " (partial)"),
                "share": fraction,
                "log_loss": row[f"log_loss@{fraction:g}"],
                "base_log_loss": row[f"base_log_loss@{fraction:g}"],
                "auc": row[f"auc@{fraction:g}"],
            }
            for _, row in mine.iterrows()
            for fraction in EVAL_FRACTIONS
        ]
    ).dropna(subset=["log_loss"])


def served_plots(report: LiveReport, version: str) -> dict:
    """Calibration table and plots of ``version``'s out-of-sample rows (none: nothing to plot)."""
    live = report.live_by_season
    seasons = set(live.loc[live["model_version"] == version, SEASON])
    mine = report.rows[(report.rows["model_version"] == version) & report.rows[SEASON].isin(seasons)]
    if mine.empty:
        return {}
    shares = _share_table(live, version)
    return {
        "calibration_table": MetadataValue.md(calibration_table(mine).round(4).to_markdown(index=False)),
        "calibration": markdown_image(
            calibration_png(
                mine[BEAT].to_numpy(),
                mine["probability"].to_numpy(),
                f"score_beater {version}, served",
                "beat probability",
            ),
            "calibration",
        ),
        "log_loss_by_share_of_season": markdown_image(
            metric_by_share_png(shares, "log_loss", f"score_beater {version}: live log loss"), "log loss by share"
        ),
        "auc_by_share_of_season": markdown_image(
            metric_by_share_png(shares.drop(columns="base_log_loss"), "auc", f"score_beater {version}: live AUC"),
            "AUC by share",
        ),
    }


@asset(deps=["score_beater_predictions", "free_throw_labels"], compute_kind="pandas")
def score_beater_ground_truth(
    context: AssetExecutionContext,
    free_throw_store: FreeThrowStoreResource,
    score_beater_models: ScoreBeaterModelsResource,
) -> MaterializeResult:
    """The labels known so far (`free_throw_labels`, written by the flow) and, per season and
    model version, the *served* predictions' log loss, AUC, Brier score and calibration at
    0/25/50/75% of the season (the prediction in force at each point). Seasons in progress are
    reported as partial: only beats are known there, so their figures are biased toward beats.
    Live figures are a version's out-of-sample seasons only (after every season it was trained or
    judged on); its in-sample seasons are listed apart (`in_sample_by_season`) and never pooled.
    """
    store = free_throw_store.get()
    report = load_live_report(store, score_beater_models.get(), context.log.info)
    known = report.labels.dropna(subset=[KNOWN_AT])
    seasons = season_table(report)
    partial = seasons[~seasons["status"].isin(["complete", NO_POPULATION])]
    metadata: dict = {
        "labels_known": len(known),
        "labels_pending": len(report.labels) - len(known),
        "labels_per_season": MetadataValue.md(seasons.to_markdown(index=False) if len(seasons) else "no data yet"),
        "partial_seasons": ", ".join(f"{r.season} ({r.status})" for r in partial.itertuples()) or "none",
        # A quarantined game's free throws are missing: its season's "not beaten" labels stay unknown.
        "seasons_with_quarantined_games": quarantined_seasons(report) or "none",
        "labelled_predictions": len(report.rows),
        "live_seasons": live_seasons(report) or "none",
    }
    by_version = report.by_version.copy()
    if len(report.by_season):
        versions = sorted(report.by_season["model_version"].unique())
        tests = registry_test_log_losses(
            versions, score_beater_models.resolved_location(), score_beater_models.s3_endpoint_url or None
        )
        by_version["test_log_loss"] = by_version["model_version"].map(tests)
        live, in_sample = report.live_by_season, report.in_sample_by_season
        columns = ["model_version", SEASON, "status", "rows", "log_loss", "auc", "brier", "base_log_loss"]
        newest = str(report.by_season.sort_values([SEASON, "model_version"])["model_version"].iloc[-1])
        metadata |= {
            "model_version": newest,
            "metrics_by_season": MetadataValue.md(
                metrics_table(live, columns) if len(live) else "no out-of-sample season served yet"
            ),
            # Seasons a version trained or was judged on flatter it: shown, labelled, never pooled.
            "in_sample_by_season": MetadataValue.md(
                metrics_table(in_sample, ["model_version", SEASON, "sample", *columns[2:]])
                if len(in_sample)
                else "none"
            ),
        }
        metadata |= served_plots(report, newest)
        newest_pooled = by_version[by_version["model_version"] == newest]
        if len(newest_pooled):  # complete out-of-sample seasons only
            metadata |= {f"live_{name}": float(newest_pooled[name].iloc[0]) for name in ("log_loss", "auc", "brier")}
    shown = [c for c in ("model_version", "seasons", "rows", "log_loss", "auc", "brier", "base_log_loss",
                         "test_log_loss") if c in by_version]  # fmt: skip
    metadata["live_by_model_version"] = MetadataValue.md(
        by_version[shown].round(4).to_markdown(index=False)
        if len(by_version)
        else "no complete out-of-sample season served yet"
    )
    if metadata["seasons_with_quarantined_games"] != "none":
        context.log.warning(f"quarantined games hold labels back: {metadata['seasons_with_quarantined_games']}")
    context.log.info(
        f"{len(known)} labels known, {len(report.labels) - len(known)} pending; "
        f"{len(report.rows)} served predictions at evaluation points have a label"
    )
    return MaterializeResult(metadata=metadata)
