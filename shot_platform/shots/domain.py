"""The shot domain declares itself to the platform (see :mod:`shot_platform.core.domain`).

Shot make/miss: the probability that an NBA field-goal attempt is made.
"""

from __future__ import annotations

from shot_platform.core.domain import Command, Domain, ModelRef

DOMAIN = Domain(
    has_data=".stored_rows:stored_rows",
    commands=(
        Command("shots", ".commands:ingest_shots", "Load Kaggle shot-logs files.", group="ingest"),
        Command("shots", ".commands:generate_shots", "A synthetic shot season.", group="generate"),
        Command("predict", ".commands:predict", "Score files with the current champion model."),
    ),
    service_unit=".serving.unit:ShotUnit",
    models=(ModelRef("shot_model", ".models.registry:open_shot_models"),),
    demo=".commands:demo",
    settings=".settings:ShotSettings",
)
