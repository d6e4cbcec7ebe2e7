"""Row-level validation of free-throw rows, derived from ``free_throws/rules.py``.

Every rule a row breaks is named in its reason; a rejected row goes to the quarantine with that
reason and its raw values, never silently away.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from shot_platform.free_throws.rules import (
    CLOCK_PATTERN,
    COLUMN_RULES,
    ROW_RULE,
    SEASON_PATTERN,
    VERB_PATTERN,
    ColumnRule,
)

GAME_COLUMNS = ("game", "end_result", "season", "playoffs")  # one value per game


class Reasons:
    """Collects one message per failed rule per row."""

    def __init__(self, index: pd.Index) -> None:
        self.messages = pd.Series("", index=index, dtype="object")

    def add(self, failed: pd.Series | np.ndarray, message: str) -> None:
        failed = pd.Series(failed, index=self.messages.index).fillna(True).astype(bool)
        if failed.any():
            current = self.messages[failed]
            self.messages[failed] = np.where(current == "", message, current + "; " + message)


def integer_values(text: pd.Series) -> pd.Series:
    """Text -> numbers (NaN where not a number); callers check wholeness and range."""
    return pd.to_numeric(text.astype("string").str.strip(), errors="coerce")


def column_failures(rule: ColumnRule, values: pd.Series) -> pd.Series:
    """True where ``values`` (raw text, NaN for empty) break ``rule``."""
    present = values.notna()
    if rule.kind == "integer":
        numbers = integer_values(values)
        bad = numbers.isna() | ~np.isclose(numbers.fillna(0) % 1, 0)
        if rule.minimum is not None:
            bad |= numbers < rule.minimum
        if rule.maximum is not None:
            bad |= numbers > rule.maximum
        return bad | ~present
    text = values.astype("string")
    bad = ~present | text.str.contains("\x00", regex=False).fillna(False)
    if rule.choices is not None:
        bad |= ~text.isin(rule.choices).fillna(False)
    if rule.pattern is not None:
        # Groups in a rule's pattern are for extraction elsewhere; here only "does it match" counts.
        searched = re.sub(r"\((?!\?)", "(?:", rule.pattern)
        bad |= ~text.str.contains(searched, regex=True).fillna(False)
    if rule.max_length is not None:
        bad |= (text.str.len() > rule.max_length).fillna(False)
    return bad


def period_seconds(period: pd.Series) -> pd.Series:
    """Length of a period: 12 minutes, 5 for overtimes (periods 5 and up)."""
    return pd.Series(np.where(period > 4, 300.0, 720.0), index=period.index)


def clock_seconds(time: pd.Series) -> pd.Series:
    """'M:SS' -> seconds left in the period (NaN where not a clock)."""
    parts = time.astype("string").str.extract(CLOCK_PATTERN)
    return pd.to_numeric(parts[0]) * 60.0 + pd.to_numeric(parts[1])


def rejection_reasons(frame: pd.DataFrame) -> pd.Series:
    """One string per row: empty when the row can be stored, else every rule it breaks."""
    reasons = Reasons(frame.index)
    failed: dict[str, pd.Series] = {}
    for rule in COLUMN_RULES:
        failed[rule.column] = column_failures(rule, frame[rule.column])
        reasons.add(failed[rule.column], rule.reason)

    years = frame["season"].astype("string").str.extract(SEASON_PATTERN).apply(pd.to_numeric)
    reasons.add(~failed["season"] & (years[1] != years[0] + 1), ROW_RULE["season_years"].reason)

    period = integer_values(frame["period"])
    too_long = clock_seconds(frame["time"]) > period_seconds(period)
    reasons.add(~failed["period"] & ~failed["time"] & too_long, ROW_RULE["clock_in_period"].reason)

    verbs = frame["play"].astype("string").str.findall(VERB_PATTERN)
    says = verbs.map(lambda found: found[0] if isinstance(found, list) and len(set(found)) == 1 else None)
    made = integer_values(frame["shot_made"])
    # Play text naming both verbs (a foul description, one row in the file) cannot be checked.
    disagrees = says.notna() & ((says == "makes") != (made == 1))
    reasons.add(~failed["shot_made"] & disagrees, ROW_RULE["verb_agrees"].reason)

    reasons.add(~game_consistent(frame), ROW_RULE["game_consistent"].reason)
    return reasons.messages


def game_consistent(frame: pd.DataFrame) -> pd.Series:
    """False for rows whose game-level values differ from the most common ones of their game_id."""
    game_id = frame["game_id"].astype("string").str.strip().fillna("")
    parts = [frame[column].astype("string").fillna("") for column in GAME_COLUMNS]
    combo = parts[0].str.cat(parts[1:], sep="\x1f")
    counts = pd.DataFrame({"game_id": game_id, "combo": combo}).value_counts(sort=False).reset_index(name="n")
    counts = counts.sort_values(["game_id", "n"], ascending=[True, False], kind="stable")
    usual = counts.drop_duplicates("game_id").set_index("game_id")["combo"]
    return combo == game_id.map(usual)
