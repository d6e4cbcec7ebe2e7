"""``shot-platform scores-api serve``: the replay server standing in for a Scores API provider."""

from __future__ import annotations

import click

from shot_platform.cli.main import fail
from shot_platform.free_throws.scores_api.client import KEY_ENV


class ReleaseType(click.ParamType):
    """``all`` or a count of games."""

    name = "all|N"

    def convert(self, value, param, ctx) -> int | None:
        if isinstance(value, int) or value is None:
            return value
        if value.strip().lower() == "all":
            return None
        if not value.strip().isdigit():
            self.fail(f"{value!r} is neither 'all' nor a number of games", param, ctx)
        return int(value)


@click.group("scores-api")
def scores_api() -> None:
    """The Scores API replay server (a stand-in for the provider in demos, tests and benchmarks)."""


@scores_api.command("serve")
@click.option(
    "--data",
    "data",
    type=click.Path(),
    help="free-throw file, Kaggle schema (.csv/.csv.gz); default: the one `shot-platform demo` ingested",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5100, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--release",
    default="all",
    show_default=True,
    type=ReleaseType(),
    help="results final at start: all (like a provider's past seasons), or the first N games",
)
@click.option(
    "--games-per-second", type=click.FloatRange(min=0, min_open=True), help="release results on a timer (live demo)"
)
@click.option(
    "--error-rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1, max_open=True),
    help="share of /v1 requests answered 500 (seeded)",
)
@click.option("--rate-limit", type=click.FloatRange(min=0, min_open=True), help="requests/s; 429 + Retry-After past it")
@click.option("--api-key", envvar=KEY_ENV, help=f"require this key in the Authorization header (or ${KEY_ENV})")
@click.option("--seed", default=0, show_default=True, type=int, help="seed of the injected errors")
def serve(
    data: str | None,
    host: str,
    port: int,
    release: int | None,
    games_per_second: float | None,
    error_rate: float,
    rate_limit: float | None,
    api_key: str | None,
    seed: int,
) -> None:
    """Serve a free-throw file as a Scores API (the replay server).

    The whole schedule is public; a game's result (status final, scores, box score and plays)
    appears once released: --release at start, POST /replay/advance?games=N, or the timer.
    """
    import uvicorn

    from shot_platform.free_throws.scores_api.dataset import DatasetError, load_dataset
    from shot_platform.free_throws.scores_api.server import ReplayConfig, create_app

    if data is None:
        from shot_platform.core.settings import Settings
        from shot_platform.free_throws.commands.data import demo_file

        found = demo_file(Settings.from_env())
        if found is None:
            fail("no --data given and no demo data in this home: give --data FILE, or run `shot-platform demo` first")
        data = str(found)
    try:
        dataset = load_dataset(data)
    except DatasetError as error:
        fail(str(error))
    released = dataset.total if release is None else release
    if released > dataset.total:
        fail(f"--release {released}: the file has only {dataset.total:,} games (use --release all)")
    config = ReplayConfig(
        release=released,
        games_per_second=games_per_second,
        error_rate=error_rate,
        rate_limit=rate_limit,
        api_key=api_key or None,
        seed=seed,
    )
    app = create_app(dataset, config)
    seasons = f"{dataset.seasons[0].name} to {dataset.seasons[-1].name}"
    click.echo(
        f"Scores API replay of {data}: {dataset.total:,} games ({seasons}), {released:,} final, "
        f"on http://{host}:{port}" + (" (API key required)" if api_key else ""),
        err=True,
    )
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
