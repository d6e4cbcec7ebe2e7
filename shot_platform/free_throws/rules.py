"""The validation rules of a free-throw row, declared once.

Ingest (``ingest/validation.py``) derives its per-row pandas checks from ``COLUMN_RULES`` and
``ROW_RULES``; the blocking asset check on ``raw_free_throws`` derives its SQL conditions from the
same ``COLUMN_RULES`` (``sql_violations``), so a rule changed here changes every layer.

TODO(i7-ingest): declare these with ``shot_platform.core.rules`` once it lands on main; the fields
below (kind, minimum, maximum, choices, pattern, max_length, reason) are that vocabulary's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import ColumnElement, Table, func, or_

Kind = Literal["integer", "text"]

MAX_PERIOD = 10  # four quarters and up to six overtimes (the file has up to period 8)
SCORE_PATTERN = r"^\d{1,3} - \d{1,3}$"
CLOCK_PATTERN = r"^(\d{1,2}):([0-5]\d)$"
SEASON_PATTERN = r"^(\d{4}) - (\d{4})$"
VERB_PATTERN = r"\b(makes|misses)\b"


@dataclass(frozen=True)
class ColumnRule:
    """What one column's value must be; ``reason`` is the quarantine text when it is not.

    Every value is required. Text never contains a NUL character (PostgreSQL cannot store it).
    """

    column: str
    kind: Kind
    reason: str
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] | None = None
    pattern: str | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row, checked by ``ingest/validation.py`` (named here, once)."""

    name: str
    reason: str


COLUMN_RULES: tuple[ColumnRule, ...] = (
    ColumnRule("end_result", "text", "end_result must be the final score 'AWAY - HOME', e.g. '106 - 114'",
               pattern=SCORE_PATTERN, max_length=16),
    ColumnRule("game", "text", "game must be 'AWAY - HOME' team codes, e.g. 'PHX - LAL'",
               pattern=r"^[A-Z]{2,4} - [A-Z]{2,4}$", max_length=16),
    ColumnRule("game_id", "integer", "game_id must be a whole number within 1..999999999999",
               minimum=1, maximum=999_999_999_999),
    ColumnRule("period", "integer", f"period must be a whole number within 1..{MAX_PERIOD}",
               minimum=1, maximum=MAX_PERIOD),
    ColumnRule("play", "text", "play must be the play text, at most 256 characters", pattern=r"\S", max_length=256),
    ColumnRule("player", "text", "player must be a name without leading or trailing spaces, at most 64 characters",
               pattern=r"^\S(.*\S)?$", max_length=64),
    ColumnRule("playoffs", "text", "playoffs must be 'regular' or 'playoffs'", choices=("regular", "playoffs")),
    ColumnRule("score", "text", "score must be the running score 'AWAY - HOME', e.g. '2 - 3'",
               pattern=SCORE_PATTERN, max_length=16),
    ColumnRule("season", "text", "season must look like '2006 - 2007' (consecutive years)",
               pattern=SEASON_PATTERN, max_length=16),
    ColumnRule("shot_made", "integer", "shot_made must be 0 or 1", minimum=0, maximum=1),
    ColumnRule("time", "text", "time must be the game clock 'M:SS' or 'MM:SS'", pattern=CLOCK_PATTERN, max_length=8),
)  # fmt: skip

ROW_RULES: tuple[RowRule, ...] = (
    RowRule("season_years", "season must be two consecutive years, e.g. '2006 - 2007'"),
    RowRule("clock_in_period", "time is longer than the period (12 minutes, 5 in overtime)"),
    RowRule("verb_agrees", "shot_made disagrees with the play text ('makes' is 1, 'misses' is 0)"),
    RowRule("game_consistent", "game, end_result, season or playoffs differ from the game's first row"),
)
ROW_RULE = {rule.name: rule for rule in ROW_RULES}
RULE_BY_COLUMN = {rule.column: rule for rule in COLUMN_RULES}


def sql_violations(table: Table) -> dict[str, ColumnElement[bool]]:
    """One SQL condition per column rule that a stored row would break (NULL counts as broken).

    Patterns need a regular-expression operator that SQLite lacks, so here they are checked only
    through what SQL can say portably (choices, ranges, lengths); ingest checks the patterns.
    """
    conditions: dict[str, ColumnElement[bool]] = {}
    for rule in COLUMN_RULES:
        column = table.c[rule.column]
        broken: list[ColumnElement[bool]] = [column.is_(None)]
        if rule.minimum is not None:
            broken.append(column < rule.minimum)
        if rule.maximum is not None:
            broken.append(column > rule.maximum)
        if rule.choices is not None:
            broken.append(column.not_in(rule.choices))
        if rule.max_length is not None:
            broken.append(func.length(column) > rule.max_length)
        conditions[rule.reason] = or_(*broken)
    return conditions


__all__ = ["COLUMN_RULES", "ROW_RULE", "ROW_RULES", "RULE_BY_COLUMN", "ColumnRule", "RowRule", "sql_violations"]
