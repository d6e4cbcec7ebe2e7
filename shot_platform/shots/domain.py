"""The shot domain declares itself to the platform (see :mod:`shot_platform.core.domain`)."""

from __future__ import annotations

from shot_platform.core.domain import Command, Domain, ModelRef

COMMANDS = "shot_platform.shots.commands"

DOMAIN = Domain(
    name="shots",
    description="Shot make/miss: probability that an NBA field-goal attempt is made.",
    definitions="shot_platform.shots.definitions:defs",
    has_data="shot_platform.shots.stored_rows:stored_rows",
    commands=(
        Command("shots", f"{COMMANDS}:ingest_shots", "Load Kaggle shot-logs files.", group="ingest"),
        Command("shots", f"{COMMANDS}:generate_shots", "A synthetic shot season.", group="generate"),
        Command("predict", f"{COMMANDS}:predict", "Score files with the current champion model."),
    ),
    service_unit="shot_platform.shots.serving.unit:ShotUnit",
    models=(ModelRef("shot_model", "shot_platform.shots.models.registry:open_shot_models"),),
    demo=f"{COMMANDS}:demo",
    settings="shot_platform.shots.settings:ShotSettings",
)
