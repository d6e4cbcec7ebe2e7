"""The darts domain's declaration (``darts = shot_platform_tests.third_domain.domain:DOMAIN``).

A test domain: the probability that a dart hits the board.
"""

from __future__ import annotations

from shot_platform.core.domain import Command, Domain, ModelRef

DOMAIN = Domain(
    commands=(Command("darts", ".command:darts", "Say how many darts models are stored."),),
    service_unit=".unit:DartsUnit",
    models=(ModelRef("dart_model", ".model:open_dart_models"),),
)
