"""The free-throw domain declares itself to the platform (see :mod:`shot_platform.core.domain`)."""

from __future__ import annotations

from shot_platform.core.domain import Command, Domain, ModelRef

COMMANDS = "shot_platform.free_throws.commands"

DOMAIN = Domain(
    name="free_throws",
    description="score_beater: will a player make more regular-season free throws than last season?",
    definitions="shot_platform.free_throws.definitions:defs",
    has_data="shot_platform.free_throws.stored_rows:stored_rows",
    commands=(
        Command("free-throws", f"{COMMANDS}.data:ingest_free_throws", "Load Kaggle free-throw files.", group="ingest"),
        Command("free-throws", f"{COMMANDS}.data:generate_free_throws", "Synthetic seasons.", group="generate"),
        Command("free-throws", f"{COMMANDS}.sync:free_throws", "Game by game from the Scores API.", group="sync"),
        Command("scores-api", f"{COMMANDS}.scores_api:scores_api", "The Scores API replay server."),
        Command("predictions", f"{COMMANDS}.predictions:predictions", "Export stored score_beater predictions."),
    ),
    service_unit="shot_platform.free_throws.serving.endpoints:ScoreBeaterUnit",
    models=(
        ModelRef(
            "score_beater",
            "shot_platform.free_throws.registry:open_score_beater",
            describe="shot_platform.free_throws.registry:describe_version",
        ),
    ),
    demo=f"{COMMANDS}.data:demo",
    settings="shot_platform.free_throws.settings:FreeThrowSettings",
)
