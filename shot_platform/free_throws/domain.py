"""The free-throw domain declares itself to the platform (see :mod:`shot_platform.core.domain`)."""

from __future__ import annotations

from shot_platform.core.domain import Command, Domain, ModelRef

DOMAIN = Domain(
    name="free_throws",
    description="score_beater: will a player make more regular-season free throws than last season?",
    definitions="shot_platform.free_throws.definitions:defs",
    has_data="shot_platform.free_throws.stored_rows:stored_rows",
    commands=(
        Command(
            "free-throws",
            "shot_platform.cli.ingest:ingest_free_throws",
            "Load Kaggle free-throw files.",
            group="ingest",
        ),
        Command(
            "free-throws",
            "shot_platform.cli.generate:generate_free_throws_command",
            "Synthetic seasons.",
            group="generate",
        ),
        Command("free-throws", "shot_platform.cli.sync:free_throws", "Game by game from the Scores API.", group="sync"),
        Command("scores-api", "shot_platform.cli.scores_api:scores_api", "The Scores API replay server."),
        Command("predictions", "shot_platform.cli.predictions:predictions", "Export stored score_beater predictions."),
    ),
    models=(ModelRef("score_beater", "shot_platform.cli.models:_open_score_beater"),),
)
