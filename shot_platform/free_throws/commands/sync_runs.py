"""The runs of ``shot-platform sync free-throws``: the code location's own jobs, in this process.

What the daemon does, in order: a ``sync_free_throw_games`` run per batch of new final games of one
season (``max_games`` = the batch, as ``free_throw_games_sensor`` requests it), then the retraining
decision of ``score_beater_labels_sensor`` (``retraining.not_due``), then ``retrain_score_beater``
when it is due, before any game of the next season. A retraining run that succeeded for the same
labels (its ``LABELS_TAG``) is not run again, so a rejected challenger is not retrained; one that
was stopped runs again, and ``score_beater`` then judges the challenger it had saved instead of
training it again. The runs go to the configured Dagster instance, so the UI lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from dagster import DagsterInstance, DagsterRunStatus, Definitions, RunsFilter

from shot_platform.free_throws.flow.sync import SyncReport, unprocessed_final_games
from shot_platform.free_throws.jobs import free_throw_games_job, retrain_score_beater_job
from shot_platform.free_throws.retraining import new_labels, not_due, retraining_run_config
from shot_platform.free_throws.run_hook import IN_PROCESS, RunObserver
from shot_platform.free_throws.scores_api import ScoresApiClient
from shot_platform.free_throws.sensors import LABELS_TAG
from shot_platform.free_throws.store import FreeThrowStore

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}  # progress and errors: the command prints them


class RunFailed(Exception):
    """A run failed without an exception this process saw (e.g. a run config Dagster refused)."""


@dataclass
class SyncRuns:
    """The sync command's runs: ``report`` adds up the games runs' reports."""

    defs: Definitions
    instance: DagsterInstance
    store: FreeThrowStore
    models: object
    client: ScoresApiClient
    echo: Callable[[str], None]
    threshold: int
    report: SyncReport = field(default_factory=SyncReport)
    observed: list[SyncReport] = field(default_factory=list)

    def execute(self, job_name: str, run_config: dict, tags: dict[str, str]) -> dict[str, dict]:
        """One run of ``job_name``; the materialisations' metadata by asset, or the step's error raised."""
        observer = RunObserver(self.echo)
        token = IN_PROCESS.set(observer)
        try:
            result = self.defs.resolve_job_def(job_name).execute_in_process(
                run_config={**QUIET, **run_config}, instance=self.instance, tags=tags, raise_on_error=False
            )
        finally:
            IN_PROCESS.reset(token)
        for report in observer.reports:
            add_report(self.report, report)
            self.observed.append(report)
        if not result.success:
            if observer.error is not None:
                raise observer.error
            failures = [str(event.message) for event in result.all_events if event.is_step_failure]
            raise RunFailed(f"run {result.run_id[:8]} of {job_name} failed: {'; '.join(failures) or 'see the UI'}")
        return {
            event.asset_key.to_user_string(): {
                key: value.value for key, value in event.materialization.metadata.items()
            }
            for event in result.get_asset_materialization_events()
        }

    def games(self, max_games: int, full_refeed: bool = False, season: int | None = None) -> SyncReport:
        """One games run of at most ``max_games`` games (0: the schema, the refeed, the corrections)."""
        config = {"max_games": max_games, "full_refeed": full_refeed}
        tags = {"shot_platform/games": str(max_games), "shot_platform/origin": "sync-command"}
        if season is not None:
            tags["shot_platform/season"] = str(season)
        reports = len(self.observed)
        self.execute(free_throw_games_job.name, {"ops": {"free_throw_games": {"config": config}}}, tags)
        return self.observed[-1] if len(self.observed) > reports else SyncReport()

    def retrain_if_due(self) -> None:
        """The labels sensor's decision, then its job when due and not done for these labels."""
        due = new_labels(self.store, self.models)
        if not_due(due, self.threshold) is not None:
            return
        done = self.instance.get_runs(
            filters=RunsFilter(tags={LABELS_TAG: due.run_key}, statuses=[DagsterRunStatus.SUCCESS]), limit=1
        )
        if done:
            return
        self.echo(f"retraining score_beater on {due.describe()} ...")
        metadata = self.execute(
            retrain_score_beater_job.name,
            retraining_run_config(due),
            {
                LABELS_TAG: due.run_key,
                "shot_platform/new_labels": str(due.count),
                "shot_platform/origin": "sync-command",
            },
        )
        self.report.retrained.append(metadata.get("score_beater", {}))

    def run(self, max_games: int | None, full_refeed: bool) -> SyncReport:
        """Games runs season batch by season batch until caught up (or ``max_games``), retraining between."""
        # First a run of no game: the engine creates the schema under the sync's lock (two syncs on a
        # fresh database must not race), refeeds when asked and checks the processed games' results.
        self.games(0, full_refeed)
        self.retrain_if_due()  # due from an earlier sync that stopped before its retraining finished
        previous = None
        while True:
            left = None if max_games is None else max_games - self.report.games_processed
            games = unprocessed_final_games(self.store, self.client)
            if not games or left == 0 or games == previous:
                return self.report
            season = games[0].season
            batch = sum(1 for game in games if game.season == season)
            part = self.games(batch if left is None else min(batch, left), season=season)
            if part.problems or part.waiting_for is not None:
                return self.report
            previous = games
            self.retrain_if_due()


def add_report(total: SyncReport, part: SyncReport) -> None:
    """``part`` added to ``total``: counts summed, lists joined, the latest game and state kept."""
    for name in ("games_processed", "predictions_computed", "predictions_reused", "labels_new", "quarantined",
                 "rows_inserted"):  # fmt: skip
        setattr(total, name, getattr(total, name) + getattr(part, name))
    for name in ("retrained", "problems", "corrections", "schedule_changes"):
        getattr(total, name).extend(getattr(part, name))
    for name, seconds in part.seconds.items():
        total.seconds[name] = total.seconds.get(name, 0.0) + seconds
    total.held_back = dict(part.held_back)
    total.last_game = part.last_game if part.last_game is not None else total.last_game
    total.waiting_for = part.waiting_for
    total.model_version = part.model_version or total.model_version
