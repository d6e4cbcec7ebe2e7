"""Ground truth as it becomes known, and how the served score_beater predictions fared against it.

Labels (the score_beater issue): a player of season s - 1 beats season s when he makes strictly
more regular-season free throws in s than in s - 1. In the game-by-game flow a label is known

- as soon as his made count passes last season's (``beat`` = 1, known after that game), or
- when the regular season ends (every other player: ``beat`` = 0, known after the last game).

A season in progress therefore has only beats among its known labels: metrics on them are
biased toward beats and are reported as *partial*, never mixed into the complete seasons' figures.

Served predictions are the rows the flow stored (season, player, games_played, probability,
model_version, made_at). The prediction in force after k league games is a player's row with the
largest ``games_played`` <= k; when several model versions stored a row for that point (a full
refeed after a promotion, or a backfill), the one made first is what was served from then on.
The metric is the domain's (``evaluation.score_report``): log loss and AUC pooled over the points
at 0/25/50/75% of the season, plus the Brier score and a calibration table.

A version's *live* figures are its out-of-sample seasons only, those after every season it was
trained or judged on (``training_window``); its other seasons are reported apart, labelled with
how they were seen, and never pooled: the batch assets predict every stored season with the
champion, including the ones it was fitted to.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss
from sqlalchemy import func, select

from shot_platform.core.bulk import upsert_rows
from shot_platform.core.model_store import ModelNotFoundError
from shot_platform.core.saved_model_store import SavedModelStore, open_saved_model_store
from shot_platform.free_throws.evaluation import EVAL_FRACTIONS, score_report
from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.inputs import GAMES_PLAYED, games_at_fractions
from shot_platform.free_throws.labels import BEAT, LAST_MADE
from shot_platform.free_throws.schema import PLAYER, SEASON, season_short
from shot_platform.free_throws.store import FreeThrowStore, tables
from shot_platform.free_throws.training_window import OUT_OF_SAMPLE, TrainingWindow, registry_windows

KNOWN_AT = "known_at"  # games_played after which the label was known
FRACTION = "fraction"
MADE_AT = "made_at"
LABEL_COLUMNS = [SEASON, PLAYER, LAST_MADE, "made", BEAT, KNOWN_AT]
# The live log loss may exceed the model's own test log loss by at most this much (issue 9).
LIVE_LOG_LOSS_TOLERANCE = 0.05


@dataclass(frozen=True)
class SeasonProgress:
    """How far a season's regular season has been processed.

    ``quarantined``: its regular-season games whose counts are missing or may be wrong (a box score
    quarantined, a result changed after it was processed; ``ledger.held_back_games``). Such a season
    is not complete: its "not beaten" labels may be wrong, so they stay unknown and it is neither
    trained nor judged on. ``last_quarantined``: the same for the previous season, whose made counts
    are the bar this season's labels compare with: its beats may be wrong, so it is not complete either.
    """

    season: int
    final_games: int
    scheduled_games: int
    quarantined: tuple[int, ...] = ()
    last_quarantined: tuple[int, ...] = ()

    @property
    def complete(self) -> bool:
        return self.final_games >= self.scheduled_games and not self.quarantined and not self.last_quarantined

    def describe(self) -> str:
        if self.complete:
            return "complete"
        text = f"partial: {self.final_games} of {self.scheduled_games} games final"
        if self.quarantined:
            text += f", {len(self.quarantined)} quarantined ({_games(self.quarantined)}): labels not final"
        if self.last_quarantined:
            text += (
                f", {len(self.last_quarantined)} games of last season quarantined ({_games(self.last_quarantined)}): "
                "labels not final"
            )
        return text


def _games(ids: tuple[int, ...]) -> str:
    return ", ".join(map(str, ids[:5])) + (", ..." if len(ids) > 5 else "")


def season_progress(
    scheduled_games: Mapping[int, int],
    final_games: Mapping[int, int],
    later_seasons_complete: bool = True,
    quarantined: Mapping[int, list[int]] | None = None,
) -> dict[int, SeasonProgress]:
    """Per season: regular-season games scheduled (known before the season starts) and final so far,
    and its quarantined games (``SeasonProgress.quarantined``).

    Seasons are processed in order, so with ``later_seasons_complete`` a season followed by one
    with final games is complete even if its last games had no free throw.
    """
    quarantined = quarantined or {}
    started = [int(season) for season, games in final_games.items() if games > 0]
    progress = {}
    for season, games in scheduled_games.items():
        season, games = int(season), int(games)
        final = int(final_games.get(season, 0))
        if later_seasons_complete and any(later > season for later in started):
            final = games
        progress[season] = SeasonProgress(
            season, min(final, games), games, tuple(quarantined.get(season, ())), tuple(quarantined.get(season - 1, ()))
        )
    return progress


def known_labels(
    features: pd.DataFrame, player_games: pd.DataFrame, progress: Mapping[int, SeasonProgress]
) -> pd.DataFrame:
    """Every player of season s - 1 for each predicted season s: made so far, ``beat`` and
    ``known_at`` (the games_played after which the label was known; NaN while it is not)."""
    population = features.loc[features[GAMES_PLAYED] == 0, [SEASON, PLAYER, LAST_MADE]]
    population = population.drop_duplicates([SEASON, PLAYER]).astype({SEASON: "int64", LAST_MADE: "int64"})
    games = player_games[[SEASON, PLAYER, "game_number", "made"]].astype(
        {SEASON: "int64", "game_number": "int64", "made": "int64"}  # typed even when empty (a store without games)
    )
    games = games.merge(population, on=[SEASON, PLAYER])
    games = games.sort_values([SEASON, PLAYER, "game_number"], kind="stable")
    games["so_far"] = games.groupby([SEASON, PLAYER])["made"].cumsum()
    passed = games[games["so_far"] > games[LAST_MADE]].groupby([SEASON, PLAYER])["game_number"].min()
    made = games.groupby([SEASON, PLAYER])["made"].sum()
    labels = population.set_index([SEASON, PLAYER])
    labels["made"] = made.reindex(labels.index, fill_value=0).astype("int64")
    labels[BEAT] = (labels["made"] > labels[LAST_MADE]).astype("int64")
    labels[KNOWN_AT] = passed.reindex(labels.index).astype("float64")
    labels = labels.reset_index()
    end = labels[SEASON].map({s: p.scheduled_games if p.complete else np.nan for s, p in progress.items()})
    labels[KNOWN_AT] = labels[KNOWN_AT].fillna(end.astype("float64"))
    return labels.sort_values([SEASON, PLAYER], ignore_index=True)[LABEL_COLUMNS]


def served_at_points(predictions: pd.DataFrame, progress: Mapping[int, SeasonProgress]) -> pd.DataFrame:
    """The prediction in force at each evaluation point already reached (see the module docstring).

    Columns: season, player, games_played (the point k), fraction, probability, model_version,
    predicted_games (the games_played the row was made for), made_at.
    """
    frames = []
    for season, state in progress.items():
        rows = predictions[predictions[SEASON] == season]
        if rows.empty:
            continue
        points = games_at_fractions(state.scheduled_games, EVAL_FRACTIONS)
        for fraction, k in zip(EVAL_FRACTIONS, points, strict=True):
            if k > state.final_games:
                continue  # not reached yet: nothing was served for it
            before = rows[rows[GAMES_PLAYED] <= k].sort_values(
                [PLAYER, GAMES_PLAYED, MADE_AT], ascending=[True, False, True], kind="stable"
            )
            served = before.drop_duplicates(PLAYER, keep="first")
            frames.append(
                pd.DataFrame(
                    {
                        SEASON: season,
                        PLAYER: served[PLAYER].to_numpy(),
                        GAMES_PLAYED: k,
                        FRACTION: fraction,
                        "probability": served["probability"].to_numpy(dtype="float64"),
                        "model_version": served["model_version"].astype(str).to_numpy(),
                        "predicted_games": served[GAMES_PLAYED].to_numpy(),
                        MADE_AT: served[MADE_AT].to_numpy(),
                    }
                )
            )
    columns = [SEASON, PLAYER, GAMES_PLAYED, FRACTION, "probability", "model_version", "predicted_games", MADE_AT]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def labelled_points(served: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Served predictions at the evaluation points whose label is known now."""
    known = labels.dropna(subset=[KNOWN_AT])[[SEASON, PLAYER, BEAT]]
    return served.merge(known, on=[SEASON, PLAYER], how="inner")


def _metrics(rows: pd.DataFrame, base_rate: float) -> dict[str, float]:
    label = rows[BEAT].to_numpy(dtype="int64")
    probability = rows["probability"].to_numpy(dtype="float64")
    fraction = rows[FRACTION].to_numpy(dtype="float64")
    reached = tuple(value for value in EVAL_FRACTIONS if (fraction == value).any())  # a partial season has fewer
    report = dict.fromkeys(
        (f"{name}@{value:g}" for value in EVAL_FRACTIONS for name in ("log_loss", "auc", "base_log_loss")), np.nan
    )
    report |= score_report(label, probability, fraction, base_rate, fractions=reached)
    report["brier"] = float(brier_score_loss(label, probability)) if len(label) else float("nan")
    report["beat_rate"] = float(label.mean()) if len(label) else float("nan")
    report["mean_probability"] = float(probability.mean()) if len(label) else float("nan")
    return report


def base_rates(labels: pd.DataFrame, progress: Mapping[int, SeasonProgress]) -> dict[int, float]:
    """Season s's base rate: the beat share of the complete seasons before s (0.5 without any)."""
    complete = labels.loc[labels[SEASON].isin([season for season, state in progress.items() if state.complete])]
    rates = {}
    for season in progress:
        before = complete.loc[complete[SEASON] < season, BEAT]
        rates[season] = float(before.mean()) if len(before) else 0.5
    return rates


def has_population(progress: Mapping[int, SeasonProgress], season: int) -> bool:
    """Whether ``season`` has players to label: its previous season is in the data (the first
    season of the data has nobody to beat, so it is neither complete nor partial)."""
    return season - 1 in progress


def sample_of(windows: Mapping[str, TrainingWindow], version: object, season: object) -> str:
    """How ``version`` saw ``season`` (``TrainingWindow.sample``; unknown without a window)."""
    return windows.get(str(version), TrainingWindow()).sample(int(season))


def _by_season(
    rows: pd.DataFrame,
    labels: pd.DataFrame,
    progress: Mapping[int, SeasonProgress],
    rates: Mapping[int, float],
    windows: Mapping[str, TrainingWindow],
) -> pd.DataFrame:
    """One row per model version and season: status, ``sample`` (how the version saw the season,
    ``training_window``) and ``live`` (out of sample), rows, log loss, AUC, Brier, base log loss,
    and log loss / AUC / base log loss at each fraction (``log_loss@0.25``, ...)."""
    reports = []
    for (version, season), group in rows.groupby(["model_version", SEASON]):
        state = progress[int(season)]
        sample = sample_of(windows, version, season)
        known = labels[(labels[SEASON] == season)].dropna(subset=[KNOWN_AT])
        status = state.describe()
        if not state.complete:
            status += f"; {len(known)} of {int((labels[SEASON] == season).sum())} labels known (beats only)"
        reports.append(
            {
                "model_version": str(version),
                SEASON: int(season),
                "complete": state.complete,
                "status": status,
                "sample": sample,
                "live": sample == OUT_OF_SAMPLE,
                "base_rate": rates[int(season)],
                **_metrics(group, rates[int(season)]),
            }
        )
    return pd.DataFrame(reports)


def _pooled_by_version(rows: pd.DataFrame, rates: Mapping[int, float]) -> pd.DataFrame:
    """Per model version, the metric pooled over ``rows`` (those of its complete out-of-sample
    seasons: partial ones are biased; in-sample ones are not live, ``training_window``). A version
    without any is absent."""
    reports = []
    for version, group in rows.groupby("model_version"):
        base = float(np.average([rates[int(s)] for s in group[SEASON]])) if len(group) else 0.5
        seasons = ", ".join(season_short(int(s)) for s in sorted(group[SEASON].unique()))
        reports.append({"model_version": str(version), "seasons": seasons, **_metrics(group, base)})
    columns = ["model_version", "seasons", "rows", "log_loss", "auc", "brier", "base_log_loss"]
    return pd.DataFrame(reports) if reports else pd.DataFrame(columns=columns)


def calibration_table(rows: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """Predicted vs observed beat rate in ``bins`` quantile bins of the predicted probability."""
    if rows.empty:
        return pd.DataFrame(columns=["bin", "rows", "mean_probability", "beat_rate"])
    codes = pd.qcut(rows["probability"].rank(method="first"), q=min(bins, len(rows)), labels=False)
    table = rows.groupby(codes).agg(
        rows=(BEAT, "size"), mean_probability=("probability", "mean"), beat_rate=(BEAT, "mean")
    )
    return table.rename_axis("bin").reset_index()


def registry_test_log_loss(metadata: Mapping) -> float | None:
    """The model's own test log loss from its registry metadata (``metrics.log_loss``, the pooled
    domain metric on its test seasons, as the shot model records it; or ``test_log_loss``)."""
    metrics = metadata.get("metrics")
    value = metrics.get("log_loss") if isinstance(metrics, Mapping) else None
    value = metadata.get("test_log_loss") if value is None else value
    return float(value) if value is not None else None


def registry_test_log_losses(
    versions: list[str], location: str, s3_endpoint_url: str | None = None
) -> dict[str, float | None]:
    """Each version's own test log loss from the score_beater registry (None when not recorded)."""
    # opened here, not through resources.py: the domain's logic does not import its Dagster wiring
    registry = open_saved_model_store(location, s3_endpoint_url, "score_beater")
    losses: dict[str, float | None] = {}
    for version in versions:
        try:
            losses[version] = registry_test_log_loss(registry.metadata(version))
        except ModelNotFoundError:
            losses[version] = None
    return losses


@dataclass
class LiveReport:
    """Everything the ground-truth asset and its check report."""

    progress: dict[int, SeasonProgress]
    labels: pd.DataFrame
    rows: pd.DataFrame
    by_season: pd.DataFrame  # every version and season, with ``sample`` and ``live``
    by_version: pd.DataFrame  # pooled over complete out-of-sample seasons only
    windows: dict[str, TrainingWindow]

    @property
    def live_by_season(self) -> pd.DataFrame:
        """The out-of-sample seasons of each version: its live figures."""
        return self.by_season[self.by_season["live"]] if len(self.by_season) else self.by_season

    @property
    def in_sample_by_season(self) -> pd.DataFrame:
        """The seasons a version was trained or judged on (or that are otherwise not live), shown apart."""
        return self.by_season[~self.by_season["live"]] if len(self.by_season) else self.by_season

    def versions(self) -> list[str]:
        """The model versions with labelled served predictions."""
        return sorted(self.rows["model_version"].astype(str).unique()) if len(self.rows) else []


def live_report(
    features: pd.DataFrame,
    player_games: pd.DataFrame,
    predictions: pd.DataFrame,
    progress: Mapping[int, SeasonProgress],
    windows: Mapping[str, TrainingWindow] | None = None,
) -> LiveReport:
    """Labels known so far and the served predictions' metrics, from the stored tables; ``windows``:
    each version's training window (a version without one is never counted live)."""
    windows = dict(windows or {})
    labels = known_labels(features, player_games, progress)
    rows = labelled_points(served_at_points(predictions, progress), labels)
    rates = base_rates(labels, progress)
    complete = {season for season, state in progress.items() if state.complete}
    pooled = [
        season in complete and sample_of(windows, version, season) == OUT_OF_SAMPLE
        for version, season in zip(rows["model_version"], rows[SEASON], strict=True)
    ]
    return LiveReport(
        progress=dict(progress),
        labels=labels,
        rows=rows,
        by_season=_by_season(rows, labels, progress, rates, windows),
        by_version=_pooled_by_version(rows.loc[np.asarray(pooled, dtype=bool)], rates),
        windows=windows,
    )


def store_progress(store: FreeThrowStore) -> dict[int, SeasonProgress]:
    """Every stored season's progress: its schedule (``free_throw_schedule``, which the flow fills
    from the API's schedule before a season's first game) against :func:`final_games`."""
    schedule = tables.free_throw_schedule
    query = select(schedule.c.season, func.count()).group_by(schedule.c.season)
    final = final_games(store)  # creates the ledger's tables when missing
    with store.engine.connect() as conn:
        scheduled = {int(season): int(games) for season, games in conn.execute(query).all()}
        quarantined = ledger.held_back_games(conn)
    return season_progress(scheduled, final, quarantined=quarantined)


def write_known_labels(store: FreeThrowStore, labels: pd.DataFrame) -> int:
    """Upsert the known labels into ``free_throw_labels``; returns how many rows were written.

    An upsert, not a rebuild: the sync engine writes the same labels game by game in its own
    transactions, and a delete-and-insert here could drop one it committed in between.
    """
    known = labels.dropna(subset=[KNOWN_AT])[[column.name for column in tables.free_throw_labels.columns]]
    with store.engine.begin() as conn:
        upsert_rows(conn, tables.free_throw_labels, known, key=[SEASON, PLAYER], update=[LAST_MADE, "made", BEAT])
    return len(known)


def final_games(store: FreeThrowStore) -> dict[int, int]:
    """Per season, the regular-season games final so far: the latest game with counts, or the flow's
    ledger when it recorded a later one (a game without a free throw has no counts)."""
    final = store.latest_games()
    ledger.ensure_schema(store)
    processed = ledger.processed_games
    query = (
        select(processed.c.season, func.max(processed.c.game_number))
        .where(processed.c.game_number.is_not(None))
        .group_by(processed.c.season)
    )
    with store.engine.connect() as conn:
        for season, number in conn.execute(query).all():
            final[int(season)] = max(final.get(int(season), 0), int(number))
    return final


def load_live_report(
    store: FreeThrowStore,
    registry: SavedModelStore | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> LiveReport:
    """:func:`live_report` on a store's features, player-game counts and stored predictions, with
    each version's training window from ``registry`` (without one, no version is counted live).
    ``progress`` hears each step: on the full history the reads and the metrics take a minute or more."""
    started = time.perf_counter()
    predictions = store.load_predictions()
    progress(f"read {len(predictions)} stored predictions ({time.perf_counter() - started:.1f} s)")
    versions = predictions["model_version"].astype(str).unique() if len(predictions) else []
    features = store.load(tables.free_throw_player_features)
    player_games = store.load(tables.free_throw_player_games)
    progress(
        f"read {len(features)} feature rows and {len(player_games)} player-games "
        f"({time.perf_counter() - started:.1f} s)"
    )
    report = live_report(
        features, player_games, predictions, store_progress(store), registry_windows(registry, versions)
    )
    progress(f"labels and metrics of {len(report.rows)} labelled predictions ({time.perf_counter() - started:.1f} s)")
    return report


__all__ = [
    "KNOWN_AT",
    "LIVE_LOG_LOSS_TOLERANCE",
    "LiveReport",
    "SeasonProgress",
    "calibration_table",
    "final_games",
    "has_population",
    "known_labels",
    "labelled_points",
    "live_report",
    "load_live_report",
    "registry_test_log_loss",
    "registry_test_log_losses",
    "sample_of",
    "season_progress",
    "served_at_points",
    "store_progress",
    "write_known_labels",
]
