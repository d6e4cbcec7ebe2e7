"""The tables the free-throw flow writes, each declared as one asset of the ``free_throw_games`` multi-asset.

``WRITERS`` is the one declaration of who writes what: every table of the flow has exactly one
asset key (tested against the code location's asset graph). The incremental mode (the sync engine,
game by game from the Scores API) and the batch mode (a rebuild from the stored free throws) are
two modes of the same multi-asset, so a table never has two writers. The Scores API is an external
asset (``SCORES_API``): the graph shows it upstream of the games; Dagster never materialises it.
The shared ``quarantine`` table is not listed: each domain writes only its own rows there.
"""

from __future__ import annotations

from dagster import AssetKey, AssetSpec

from shot_platform.core.asset_tags import PREDICTION_CACHE

GROUP = "free_throws"
TABLES_METADATA = "shot_platform/tables"  # spec metadata: the tables this asset writes, comma-separated

SCORES_API = AssetSpec(
    "scores_api",
    group_name=GROUP,
    kinds={"http"},
    description="The Scores API's final games and box scores ($SHOT_PLATFORM_SCORES_API_URL): an external "
    "source, polled by free_throw_games_sensor; the flow reads it, nothing here writes it.",
)

GAMES = "free_throw_games"
RAW = "raw_free_throws"
PLAYER_GAMES = "free_throw_player_games"
FEATURES = "free_throw_player_features"
LABELS = "free_throw_labels"
PREDICTIONS = "score_beater_predictions"
MODEL = "score_beater"  # trained by its own asset (score_beater.py), read by the predictions

# asset key -> the tables it writes; the flow's one writer per table.
WRITERS: dict[str, tuple[str, ...]] = {
    GAMES: ("free_throw_processed_games", "free_throw_flow_state"),
    RAW: ("free_throws",),
    PLAYER_GAMES: ("free_throw_schedule", "free_throw_player_games"),
    FEATURES: ("free_throw_player_features",),
    LABELS: ("free_throw_labels",),
    PREDICTIONS: ("score_beater_predictions",),
}

_DESCRIPTIONS = {
    GAMES: "The flow's ledger of processed games (`free_throw_processed_games`, which makes a rerun a no-op) and "
    "its state (corrections watermark, retraining attempts).",
    RAW: "Validated free-throw attempts (Kaggle 'NBA free throws' schema) in `free_throws`: from each final game's "
    "plays (incremental mode) or from files (`shot-platform ingest free-throws PATH`, or the `paths` config); bad "
    "rows in the `quarantine` table (domain free_throws) with their reason.",
    PLAYER_GAMES: "The regular-season schedule (All-Star game excluded) and made/attempted per player and game.",
    FEATURES: "Per season s and player of season s - 1: last season's made, attempted and games, and this season's "
    "so far, as they stood after each league game (`games_played`, 0 = preseason). The inputs after any k games "
    "are the latest row with games_played <= k (a row never reads a later game).",
    LABELS: "Labels as they become known: beat as soon as a player passes last season's made count, not beaten "
    "when the regular season ends.",
    PREDICTIONS: "The champion's beat probability per season, player, games_played and model version: after every "
    "game (incremental mode), or at 0/25/50/75% of each season and its latest game (batch mode). A row is "
    "recomputed only when the model version or its exact inputs changed (`input_hash`).",
}

_DEPS: dict[str, list] = {
    GAMES: [SCORES_API.key],
    RAW: [GAMES],
    PLAYER_GAMES: [RAW],
    FEATURES: [PLAYER_GAMES],
    LABELS: [PLAYER_GAMES, FEATURES],
    PREDICTIONS: [MODEL, FEATURES],
}

_KINDS = {PREDICTIONS: {"tensorflow", "sql"}}


def flow_specs() -> list[AssetSpec]:
    """One spec per key of ``WRITERS``, in flow order, with the tables it writes in its metadata."""
    return [
        AssetSpec(
            key,
            deps=_DEPS[key],
            description=_DESCRIPTIONS[key],
            kinds=_KINDS.get(key, {"sql"}),
            metadata={TABLES_METADATA: ", ".join(tables)},
            tags=PREDICTION_CACHE if key == PREDICTIONS else None,
        )
        for key, tables in WRITERS.items()
    ]


def flow_keys() -> list[AssetKey]:
    return [AssetKey(key) for key in WRITERS]
