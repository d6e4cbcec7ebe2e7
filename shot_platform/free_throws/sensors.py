"""The game-by-game flow under the Dagster daemon: a sensor on the Scores API, a sensor on the labels.

``free_throw_games_sensor`` asks the Scores API for the final games after the last one in the flow's
ledger (``flow.sync.unprocessed_final_games``) and requests one ``sync_free_throw_games`` run per
batch: the new games of one season (a run never crosses a season's end, so retraining can come
between two seasons), with run key ``free-throws-through-<last game id>`` and ``max_games`` = the
batch, so the same games never launch two runs. Its cursor is the last game a run was requested
through; while that game is not in the ledger yet the sensor waits, so runs never overlap. With no
new game, results the flow processed that the provider has changed since (``flow.corrections``)
get a run of no game (``max_games`` 0) that quarantines and reports them, keyed by the latest change.

``score_beater_labels_sensor`` counts the labelled player-seasons of complete seasons the champion
has not trained on (``retraining.new_labels``); at ``SHOT_PLATFORM_RETRAIN_MIN_NEW_LABELS``
(default 100) it requests ``retrain_score_beater`` with a run key naming those labels, unless a
challenger would learn nothing the champion has not seen (``NewLabels.nothing_new``): then no run. The games
sensor holds the next season back until that run has finished, so the next season's preseason
predictions come from the retrained champion when it won.
"""

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from shot_platform.free_throws.flow.corrections import pending_corrections
from shot_platform.free_throws.flow.sync import unprocessed_final_games
from shot_platform.free_throws.jobs import free_throw_games_job, retrain_score_beater_job
from shot_platform.free_throws.resources import (
    FreeThrowStoreResource,
    ScoreBeaterModelsResource,
    ScoreBeaterRetrainingResource,
)
from shot_platform.free_throws.retraining import NewLabels, new_labels, not_due, retraining_run_config
from shot_platform.free_throws.schema import season_short
from shot_platform.free_throws.scores_api import ScoresApiConfigError, ScoresApiError
from shot_platform.free_throws.scores_api.resource import ScoresApiResource

LABELS_TAG = "shot_platform/retrain_labels"  # the labels a retraining run was requested for
FINISHED = (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)


def retraining_pending(context: SensorEvaluationContext, due: NewLabels, threshold: int) -> str | None:
    """Why the next season must wait for a retraining run, or None when it need not."""
    if not_due(due, threshold) is not None:
        return None
    runs = context.instance.get_runs(filters=RunsFilter(tags={LABELS_TAG: due.run_key}), limit=1)
    if runs and runs[0].status in FINISHED:
        return None
    state = f"run {runs[0].run_id[:8]} is {runs[0].status.value.lower()}" if runs else "not requested yet"
    return (
        f"waiting for score_beater retraining on {due.describe()} ({state}; score_beater_labels_sensor requests "
        "it, or launch retrain_score_beater)"
    )


@sensor(
    job=free_throw_games_job,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Requests a sync run for each batch of new final games on the Scores API "
    "(SHOT_PLATFORM_SCORES_API_URL).",
)
def free_throw_games_sensor(
    context: SensorEvaluationContext,
    free_throw_store: FreeThrowStoreResource,
    score_beater_models: ScoreBeaterModelsResource,
    score_beater_retraining: ScoreBeaterRetrainingResource,
    scores_api: ScoresApiResource,
):
    store = free_throw_store.get()
    corrected = []
    try:
        with scores_api.get_client() as client:
            games = unprocessed_final_games(store, client)
            if not games:
                corrected = pending_corrections(store, client)
    except ScoresApiConfigError as error:
        return SkipReason(f"no Scores API configured: {error}")
    except ScoresApiError as error:
        return SkipReason(f"the Scores API is unreachable or refused the request, trying again next tick: {error}")
    if corrected:
        # No new game, but results the flow processed have changed: a run with no game to process
        # checks them (quarantined and reported, never applied); keyed by the latest change, once.
        latest = max(game.updated_at for game in corrected if game.updated_at is not None)
        return RunRequest(
            run_key=f"free-throws-corrections-through-{latest.isoformat()}",
            run_config={"ops": {"free_throw_games": {"config": {"max_games": 0}}}},
            tags={"shot_platform/corrected_games": ",".join(str(game.id) for game in corrected[:20])},
        )
    if not games:
        return SkipReason("no new final game on the Scores API since the last processed one")
    if context.cursor and int(context.cursor) in {game.id for game in games}:
        return SkipReason(
            f"a run through game {context.cursor} was requested and has not processed it yet; "
            "waiting for it (if it failed, re-execute it from the UI)"
        )
    registry = score_beater_models.get()
    if registry.champion_version() is None:
        return SkipReason(
            f"{len(games)} final games wait, but there is no score_beater model yet: promote one with "
            "`shot-platform models promote --model score_beater N` (or train one)"
        )
    season = games[0].season
    batch = [game for game in games if game.season == season]
    waiting = retraining_pending(context, new_labels(store, registry), score_beater_retraining.threshold())
    if waiting is not None:
        return SkipReason(f"{len(batch)} final games of {season_short(season)} wait: {waiting}")
    last = batch[-1].id
    context.update_cursor(str(last))
    return RunRequest(
        run_key=f"free-throws-through-{last}",
        run_config={"ops": {"free_throw_games": {"config": {"max_games": len(batch)}}}},
        tags={
            "shot_platform/games": str(len(batch)),
            "shot_platform/season": str(season),
            "shot_platform/through_game_id": str(last),
        },
    )


@sensor(
    job=retrain_score_beater_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Requests score_beater retraining once `score_beater_retraining.min_new_labels` (resource; "
    "$SHOT_PLATFORM_RETRAIN_MIN_NEW_LABELS, default 100) new labelled player-seasons of complete seasons exist.",
)
def score_beater_labels_sensor(
    context: SensorEvaluationContext,
    free_throw_store: FreeThrowStoreResource,
    score_beater_models: ScoreBeaterModelsResource,
    score_beater_retraining: ScoreBeaterRetrainingResource,
):
    threshold = score_beater_retraining.threshold()
    registry = score_beater_models.get()
    due = new_labels(free_throw_store.get(), registry)
    skip = not_due(due, threshold)
    if skip is not None:
        return SkipReason(skip)
    if context.cursor == due.run_key:
        return SkipReason(f"retraining on {due.describe()} was already requested (run key {due.run_key})")
    context.update_cursor(due.run_key)
    return RunRequest(
        run_key=due.run_key,
        run_config=retraining_run_config(due),
        tags={LABELS_TAG: due.run_key, "shot_platform/new_labels": str(due.count)},
    )
