"""The free-throw domain declares itself to the platform (see :mod:`shot_platform.core.domain`).

score_beater: will a player make more regular-season free throws than last season?
"""

from __future__ import annotations

from shot_platform.core.domain import Command, Domain, ModelRef

DOMAIN = Domain(
    has_data=".stored_rows:stored_rows",
    commands=(
        Command("free-throws", ".commands.data:ingest_free_throws", "Load Kaggle free-throw files.", group="ingest"),
        Command("free-throws", ".commands.data:generate_free_throws", "Synthetic seasons.", group="generate"),
        Command("free-throws", ".commands.sync:free_throws", "Game by game from the Scores API.", group="sync"),
        Command("scores-api", ".commands.scores_api:scores_api", "The Scores API replay server."),
        Command("predictions", ".commands.predictions:predictions", "Export stored score_beater predictions."),
    ),
    service_unit=".serving.endpoints:ScoreBeaterUnit",
    models=(ModelRef("score_beater", ".registry:open_score_beater", describe=".registry:describe_version"),),
    demo=".commands.data:demo",
    settings=".settings:FreeThrowSettings",
)
