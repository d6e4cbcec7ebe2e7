"""The shot domain declares itself to the platform (see :mod:`shot_platform.core.domain`)."""

from __future__ import annotations

from shot_platform.core.domain import Command, Domain, ModelRef

DOMAIN = Domain(
    name="shots",
    description="Shot make/miss: probability that an NBA field-goal attempt is made.",
    definitions="shot_platform.shots.definitions:defs",
    has_data="shot_platform.shots.stored_rows:stored_rows",
    commands=(
        Command("shots", "shot_platform.cli.ingest:ingest_shots", "Load Kaggle shot-logs files.", group="ingest"),
        Command(
            "shots", "shot_platform.cli.generate:generate_shots_command", "A synthetic shot season.", group="generate"
        ),
        Command("predict", "shot_platform.cli.predict:predict", "Score files with the current champion model."),
    ),
    models=(ModelRef("shot_model", "shot_platform.shots.models.registry:open_shot_models"),),
)
