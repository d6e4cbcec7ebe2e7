"""Check on score_beater_ground_truth: the served model does live about as well as it did on its test seasons.

Live log loss is the domain metric (pooled at 0/25/50/75% of the season) of the predictions the
flow served, over the model version's *complete out-of-sample* seasons: those after every season
it was trained or judged on (``training_window``; an in-sample season would flatter it), and not
a season still in progress (only its beats are known, so its log loss says more about the bias
than about the model). The bar is the version's own test log loss from its registry metadata,
plus ``LIVE_LOG_LOSS_TOLERANCE`` (0.05). A version without such a season is not judged yet.
"""

from __future__ import annotations

from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue, asset_check

from shot_platform.free_throws.live_metrics import (
    LIVE_LOG_LOSS_TOLERANCE,
    LiveReport,
    load_live_report,
    registry_test_log_losses,
)
from shot_platform.free_throws.resources import FreeThrowStoreResource, ScoreBeaterModelsResource


def not_judged_yet(report: LiveReport) -> str:
    """The served versions without a complete out-of-sample season, and what they were trained on."""
    judged = set(report.by_version["model_version"].astype(str))
    return "; ".join(
        f"version {version} ({report.windows[version].describe() if version in report.windows else 'unknown'})"
        for version in report.versions()
        if version not in judged
    )


@asset_check(
    asset="score_beater_ground_truth",
    description=(
        f"live log loss of each served version, on its complete out-of-sample seasons, within "
        f"{LIVE_LOG_LOSS_TOLERANCE} of its own test log loss"
    ),
)
def live_log_loss_near_test(
    free_throw_store: FreeThrowStoreResource, score_beater_models: ScoreBeaterModelsResource
) -> AssetCheckResult:
    report = load_live_report(free_throw_store.get(), score_beater_models.get())
    waiting = not_judged_yet(report) or "none"
    by_version = report.by_version.copy()
    if by_version.empty:
        return AssetCheckResult(
            passed=True,
            description="not judged yet: no served version has a complete season after its training window",
            metadata={"compared_versions": 0, "not_judged_yet": waiting},
        )
    tests = registry_test_log_losses(
        list(by_version["model_version"]),
        score_beater_models.resolved_location(),
        score_beater_models.s3_endpoint_url or None,
    )
    by_version["test_log_loss"] = by_version["model_version"].map(tests)
    by_version["excess"] = by_version["log_loss"] - by_version["test_log_loss"]
    compared = by_version.dropna(subset=["test_log_loss"])
    worse = compared[compared["excess"] > LIVE_LOG_LOSS_TOLERANCE]
    unknown = by_version[by_version["test_log_loss"].isna()]["model_version"].tolist()
    summary = "; ".join(
        f"version {row.model_version}: live {row.log_loss:.4f} vs test {row.test_log_loss:.4f} "
        f"(+{row.excess:.4f} over {row.seasons})"
        for row in worse.itertuples()
    )
    return AssetCheckResult(
        passed=worse.empty,
        severity=AssetCheckSeverity.ERROR,
        description=(
            f"live log loss worse than test by more than {LIVE_LOG_LOSS_TOLERANCE}: {summary}; look at the "
            "calibration plot of score_beater_ground_truth and retrain (the labels sensor or `materialize "
            "--select score_beater`)"
            if summary
            else None
        ),
        metadata={
            "compared_versions": len(compared),
            "failing_versions": ", ".join(worse["model_version"]) or "none",
            "without_test_log_loss": ", ".join(unknown) or "none",
            "not_judged_yet": waiting,
            "tolerance": LIVE_LOG_LOSS_TOLERANCE,
            "by_version": MetadataValue.md(
                by_version[["model_version", "seasons", "rows", "log_loss", "test_log_loss", "excess"]]
                .round(4)
                .to_markdown(index=False)
            ),
        },
    )
