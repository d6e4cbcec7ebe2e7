"""The darts domain's declaration (``darts = shot_platform_tests.third_domain.domain:DOMAIN``)."""

from __future__ import annotations

from shot_platform.core.domain import Command, Domain, ModelRef

HERE = "shot_platform_tests.third_domain"

DOMAIN = Domain(
    name="darts",
    description="A test domain: the probability that a dart hits the board.",
    definitions=f"{HERE}.definitions:defs",
    commands=(Command("darts", f"{HERE}.command:darts", "Say how many darts models are stored."),),
    service_unit=f"{HERE}.unit:DartsUnit",
    models=(ModelRef("dart_model", f"{HERE}.model:open_dart_models"),),
)
