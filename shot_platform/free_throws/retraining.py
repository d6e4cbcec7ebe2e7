"""When score_beater is due for retraining: labelled player-seasons its champion has not trained on.

Only *complete* seasons count: a season in progress knows only its beats, and a model trained on
them would learn that everybody beats. A season with a quarantined game (or whose previous season has
one) is not complete (``live_metrics.SeasonProgress``): some of its labels may be wrong. The
champion's training data is the ``train_seasons`` of its registry metadata
(``flow.retrain.trained_seasons``, the same watermark the sync engine uses).
The run key names the labels (the champion's last training season and the newest complete
season), so the same labels never launch two retraining runs. Labels a challenger would not train
on (the champion's judged season, when it is the newest: a challenger judged on it trains on the
champion's seasons again) are counted but make nothing due (``NewLabels.nothing_new``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from shot_platform.core.saved_model_store import SavedModelStore
from shot_platform.free_throws.flow.retrain import nothing_new_to_learn, seasons_with_labels, trained_seasons
from shot_platform.free_throws.live_metrics import store_progress
from shot_platform.free_throws.schema import season_short
from shot_platform.free_throws.store import FreeThrowStore, tables


@dataclass(frozen=True)
class NewLabels:
    """Labelled player-seasons of complete seasons after the champion's training seasons."""

    count: int
    seasons: tuple[int, ...]  # the complete labelled seasons counted
    trained_through: int | None  # the champion's last training season (None: no champion)
    nothing_new: str | None = None  # why a challenger judged on ``judge_season`` would learn nothing new

    @property
    def judge_season(self) -> int | None:
        """The newest complete season neither the champion nor a challenger trained on."""
        return max(self.seasons) if self.seasons else None

    @property
    def run_key(self) -> str:
        after = self.trained_through if self.trained_through is not None else "none"
        return f"score-beater-labels-after-{after}-through-{self.judge_season}"

    def describe(self) -> str:
        since = f"since {season_short(self.trained_through)}" if self.trained_through is not None else "in all"
        seasons = ", ".join(season_short(season) for season in self.seasons) or "none"
        return f"{self.count} new labelled player-seasons {since} (complete seasons: {seasons})"


def new_labels(store: FreeThrowStore, registry: SavedModelStore) -> NewLabels:
    """Count the labels of complete seasons later than every season the champion trained on."""
    seen = trained_seasons(registry)
    trained_through = max(seen) if seen else None
    progress = store_progress(store)
    complete = sorted(
        season
        for season, state in progress.items()
        if state.complete and (trained_through is None or season > trained_through)
    )
    labels = tables.free_throw_labels
    counts: dict[int, int] = {}
    if complete:
        query = select(labels.c.season, func.count()).where(labels.c.season.in_(complete)).group_by(labels.c.season)
        with store.engine.connect() as conn:
            counts = {int(season): int(n) for season, n in conn.execute(query).all()}
    seasons = tuple(season for season in complete if counts.get(season))
    idle = None
    if seasons:
        idle = nothing_new_to_learn(registry.champion_version(), seen, seasons_with_labels(progress), max(seasons))
    return NewLabels(sum(counts.values()), seasons, trained_through, idle)


def not_due(due: NewLabels, threshold: int) -> str | None:
    """Why these labels call for no retraining run, or None when one is due: the one decision, taken by
    ``score_beater_labels_sensor``, by the games sensor holding the next season back, and by
    ``shot-platform sync free-throws`` between its games runs."""
    if due.nothing_new is not None:  # e.g. a champion trained on everything there is
        return f"{due.describe()}; {due.nothing_new}"
    if due.count < threshold:
        return f"{due.describe()}; retraining starts at {threshold}"
    return None


def retraining_run_config(due: NewLabels) -> dict:
    """The run config of ``retrain_score_beater`` for these labels: judged on their newest season."""
    return {"ops": {"score_beater": {"config": {"judge_season": due.judge_season}}}}


__all__ = ["NewLabels", "new_labels", "not_due", "retraining_run_config"]
