"""``shot-platform sync free-throws``: the game-by-game flow in this process, until caught up: the code
location's own jobs, run in order as the daemon's sensors would request them (``sync_runs``)."""

from __future__ import annotations

import click

from shot_platform.cli.main import fail
from shot_platform.core.settings import Settings, export_variable


@click.command("free-throws")
@click.option("--scores-api", "url", default=None, help="Scores API base URL (default $SHOT_PLATFORM_SCORES_API_URL)")
@click.option("--full-refeed", is_flag=True, help="delete the champion's cached predictions and predict all again")
@click.option("--max-games", type=click.IntRange(min=1), default=None, help="stop after this many games")
def free_throws(url: str | None, full_refeed: bool, max_games: int | None) -> None:
    """Final games one at a time in game_id order, until the API has no unprocessed final game.

    Each game's plays are ingested (validated, bad rows quarantined), counts, features and labels
    updated, and every player's score_beater prediction refreshed (cached by model version and
    inputs; scored through $SHOT_PLATFORM_SCORE_BEATER_URL when set). One `sync_free_throw_games` run
    per season's batch, and `retrain_score_beater` between two seasons when the labels sensor would
    request it; the runs are in the Dagster instance ($DAGSTER_HOME). Exits 0 when caught up.
    """
    from sqlalchemy.exc import DBAPIError

    from shot_platform.cli.materialize import code_location, dagster_instance
    from shot_platform.core.saved_model_store import open_saved_model_store
    from shot_platform.free_throws.commands.sync_runs import RunFailed, SyncRuns
    from shot_platform.free_throws.flow.scorers import NoModelError, ScorerError
    from shot_platform.free_throws.flow.sync import SyncRunning
    from shot_platform.free_throws.scores_api import ScoresApiClient, ScoresApiConfigError, ScoresApiError
    from shot_platform.free_throws.scores_api.client import URL_ENV
    from shot_platform.free_throws.store import FreeThrowStore

    settings = Settings.from_env()
    try:  # the sync creates the schema itself, under its lock: two at once on a fresh database would race
        store = FreeThrowStore(settings.database_url)
    except Exception as error:  # a bad URL or a missing driver (as ``open_store`` says it)
        fail(
            f"cannot open the store: {error}. "
            "Check SHOT_PLATFORM_DATABASE_URL (or unset it for the embedded SQLite store)."
        )
    models = open_saved_model_store(settings.model_store, settings.s3_endpoint_url, "score_beater")
    try:
        client = ScoresApiClient(url)
        if url is not None:  # the runs' scores_api resource reads the variable when they start
            export_variable(URL_ENV, url)
        defs = code_location()
        threshold = defs.resources["score_beater_retraining"].threshold()
        with dagster_instance(settings) as instance:
            runs = SyncRuns(defs, instance, store, models, client, click.echo, threshold)
            report = runs.run(max_games, full_refeed)
    except NoModelError as error:
        fail(str(error))
    except ScorerError as error:
        fail(str(error))
    except ScoresApiConfigError as error:  # nothing was fetched: there is nothing to resume
        fail(f"{error}; `shot-platform scores-api serve` starts the replay server on :5100, then pass --scores-api")
    except ScoresApiError as error:
        fail(f"{error} (games processed before this are kept; sync again to resume)")
    except (SyncRunning, RunFailed) as error:
        fail(str(error))
    except DBAPIError as error:  # unreachable, or gone mid-sync: the open batch rolled back, nothing half-done
        cause = (str(error.orig).strip().splitlines() or [""])[0] if error.orig is not None else type(error).__name__
        fail(
            f"the store stopped answering ({cause}); games processed before this are kept: "
            "check $SHOT_PLATFORM_DATABASE_URL and the database, then sync again to resume"
        )
    click.echo(report.summary())
    for problem in report.problems:
        click.echo(f"stopped early: {problem}", err=True)
    if report.problems:
        raise SystemExit(1)
    click.echo("caught up" if report.waiting_for is None else f"caught up to game {report.waiting_for} (not final)")
