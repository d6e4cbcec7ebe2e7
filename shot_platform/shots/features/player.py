"""Point-in-time player records: what was known about a shooter and a defender
*before* the game being scored.

The history table holds, per role (shooter, defender, league) and player, one
row per game date with cumulative attempts and makes per zone **through** that
date. A shot on date d reads the latest row strictly before d, so a feature for
game d never uses game d or later. Rates are shrunk toward the league rate (as
of the same date) so that a player with few attempts looks like the league.
The latest row of each player is his current profile, used for new shots.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from shot_platform.shots.features.zones import DEFAULT_RATES, DEFAULT_ZONE_RATE, ZONES, shot_zone, zone_index

ROLES: tuple[str, ...] = ("shooter", "defender", "league")
LEAGUE_ID = 0
SHRINK_ATTEMPTS = 40.0  # prior weight, in attempts, of the league rate
COUNT_COLUMNS: tuple[str, ...] = tuple(f"{kind}_{zone}" for zone in ZONES for kind in ("att", "made"))
RATE_COLUMNS: tuple[str, ...] = tuple(f"rate_{zone}" for zone in (*ZONES, "all"))
HISTORY_COLUMNS: tuple[str, ...] = ("role", "player_id", "through_date", *COUNT_COLUMNS, "att_all", *RATE_COLUMNS)
# What a lookup returns per record: attempts, the zone rates, the overall rate, attempts per zone.
LOOKUP_COLUMNS: tuple[str, ...] = ("att_all", *RATE_COLUMNS, *(f"att_{zone}" for zone in ZONES))
_RATE_ALL = LOOKUP_COLUMNS.index("rate_all")
_FIRST_ZONE_ATT = LOOKUP_COLUMNS.index(f"att_{ZONES[0]}")
# Shot mix (share of attempts per zone) is shrunk toward the league's mix with this weight.
SHARE_PRIOR: dict[str, float] = {"rim": 0.20, "paint": 0.24, "mid": 0.30, "three": 0.26}
SHARE_SHRINK_ATTEMPTS = 5.0
_DAY_SPAN = 1 << 17  # days since 1970 up to the year 2328 fit below this


def _cumulative_counts(shots: pd.DataFrame, id_column: str | None) -> pd.DataFrame:
    """Cumulative attempts/makes per zone through each date the player appeared."""
    keys = ["game_date"] if id_column is None else [id_column, "game_date"]
    grouped = shots.groupby([*keys, "zone"], observed=False)["FGM"].agg(["size", "sum"])
    wide = grouped.unstack("zone", fill_value=0)
    counts = pd.DataFrame(index=wide.index)
    for zone in ZONES:
        counts[f"att_{zone}"] = wide.get(("size", zone), 0)
        counts[f"made_{zone}"] = wide.get(("sum", zone), 0)
    counts = counts[list(COUNT_COLUMNS)]
    counts = counts[counts.sum(axis=1) > 0]
    counts = counts.groupby(level=0).cumsum() if id_column else counts.cumsum()
    out = counts.reset_index().rename(columns={id_column or "": "player_id", "game_date": "through_date"})
    if id_column is None:
        out.insert(0, "player_id", LEAGUE_ID)
    return out


def _shrunk_rates(counts: pd.DataFrame, league: pd.DataFrame) -> pd.DataFrame:
    """Add rate_<zone> and rate_all, shrunk toward the league's rate through the same date."""
    prior = league.set_index("through_date").reindex(counts["through_date"]).to_numpy()
    prior_frame = pd.DataFrame(prior, columns=league.columns.drop("through_date"), index=counts.index)
    out = counts.copy()
    att_all = sum(out[f"att_{zone}"] for zone in ZONES)
    made_all = sum(out[f"made_{zone}"] for zone in ZONES)
    expected_all = 0.0
    for zone in ZONES:
        league_rate = prior_frame[f"rate_{zone}"].astype(float)
        out[f"rate_{zone}"] = (out[f"made_{zone}"] + SHRINK_ATTEMPTS * league_rate) / (
            out[f"att_{zone}"] + SHRINK_ATTEMPTS
        )
        expected_all = expected_all + out[f"att_{zone}"] * league_rate
    # Overall: makes above what the league would make on the same shot mix.
    league_all = prior_frame["rate_all"].astype(float)
    mix_rate = np.where(att_all > 0, expected_all / att_all.clip(lower=1), league_all)
    out["rate_all"] = (made_all + SHRINK_ATTEMPTS * mix_rate) / (att_all + SHRINK_ATTEMPTS) - mix_rate + league_all
    out["att_all"] = att_all
    return out


def _league_rates(league_counts: pd.DataFrame) -> pd.DataFrame:
    rates = pd.DataFrame({"through_date": league_counts["through_date"]})
    for zone in ZONES:
        att = league_counts[f"att_{zone}"]
        rates[f"rate_{zone}"] = np.where(
            att > 0, league_counts[f"made_{zone}"] / att.clip(lower=1), DEFAULT_ZONE_RATE[zone]
        )
    att_all = sum(league_counts[f"att_{zone}"] for zone in ZONES)
    made_all = sum(league_counts[f"made_{zone}"] for zone in ZONES)
    rates["rate_all"] = made_all / att_all.clip(lower=1)
    return rates


def build_player_history(shots: pd.DataFrame) -> pd.DataFrame:
    """History table from labelled, cleaned shots (needs game_date, SHOT_DIST, PTS_TYPE, FGM)."""
    if shots.empty:
        return pd.DataFrame(columns=list(HISTORY_COLUMNS))
    work = shots[["game_date", "player_id", "CLOSEST_DEFENDER_PLAYER_ID", "FGM"]].copy()
    work["game_date"] = pd.to_datetime(work["game_date"]).dt.normalize()
    work["zone"] = shot_zone(shots["SHOT_DIST"].astype(float), shots["PTS_TYPE"].astype(int))
    league_counts = _cumulative_counts(work, None)
    league = _league_rates(league_counts)
    frames = []
    for role, id_column in (("shooter", "player_id"), ("defender", "CLOSEST_DEFENDER_PLAYER_ID"), ("league", None)):
        counts = _cumulative_counts(work, id_column)
        rated = _shrunk_rates(counts, league)
        rated.insert(0, "role", role)
        frames.append(rated)
    history = pd.concat(frames, ignore_index=True)
    return history[list(HISTORY_COLUMNS)].sort_values(["role", "player_id", "through_date"], ignore_index=True)


def latest_profiles(history: pd.DataFrame) -> pd.DataFrame:
    """The current profile of every player: his latest history row.

    It is itself a valid history table for any date after the last stored game,
    which is what the HTTP service uses to score new shots quickly.
    """
    ordered = history.sort_values("through_date")
    return ordered.groupby(["role", "player_id"], as_index=False).tail(1).reset_index(drop=True)


def _days(dates: pd.Series | np.ndarray) -> np.ndarray:
    """Dates as whole days since 1970 (any input resolution)."""
    if isinstance(dates, np.ndarray) and dates.dtype.kind == "M":
        return dates.astype("datetime64[D]").astype(np.int64)
    return np.asarray(pd.to_datetime(dates).to_numpy(dtype="datetime64[D]"), dtype=np.int64)


class PlayerRecords:
    """A history table indexed for as-of lookups, built once and queried many times.

    Each role's rows are sorted by a single integer key ``player_id * span +
    day``; "the latest row strictly before day d" is then one binary search,
    as fast for one shot in the HTTP service as per row for a whole season.
    """

    def __init__(self, history: pd.DataFrame) -> None:
        self.tables: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for role in ROLES:
            table = history[history["role"] == role]
            ids = table["player_id"].to_numpy(dtype=np.int64)
            days = _days(table["through_date"])
            order = np.lexsort((days, ids))
            values = table[list(LOOKUP_COLUMNS)].to_numpy(dtype=float)[order]
            self.tables[role] = (ids[order] * _DAY_SPAN + days[order], ids[order], values)

    def lookup(self, role: str, player_ids: np.ndarray, days: np.ndarray) -> np.ndarray:
        """LOOKUP_COLUMNS of each player's latest record before each day; NaN when none."""
        keys, ids, values = self.tables[role]
        found = np.full((len(player_ids), len(LOOKUP_COLUMNS)), np.nan)
        if len(keys) == 0:
            return found
        position = np.searchsorted(keys, player_ids * _DAY_SPAN + days, side="left") - 1
        safe = position.clip(0)
        hit = (position >= 0) & (ids[safe] == player_ids)
        found[hit] = values[safe[hit]]
        return found


def player_features(shots: Mapping[str, Any], history: pd.DataFrame | PlayerRecords) -> dict[str, np.ndarray]:
    """Shooter and defender features for each shot, as known before its game date.

    ``shots`` needs game_date (a far-future date scores with the current
    profile), player_id, CLOSEST_DEFENDER_PLAYER_ID, SHOT_DIST and PTS_TYPE.
    Unknown players get the league rate (the prior) and zero attempts.
    """
    records = history if isinstance(history, PlayerRecords) else PlayerRecords(history)
    days = _days(shots["game_date"])
    count = len(days)
    rows = np.arange(count)
    zone = zone_index(np.asarray(shots["SHOT_DIST"], dtype=float), np.asarray(shots["PTS_TYPE"]))
    rate_of_zone = 1 + zone  # column of the zone's rate in a lookup row

    league = records.lookup("league", np.zeros(count, dtype=np.int64), days)
    league_zone = np.where(np.isnan(league[rows, rate_of_zone]), DEFAULT_RATES[zone], league[rows, rate_of_zone])
    league_all = np.where(np.isnan(league[:, _RATE_ALL]), float(DEFAULT_RATES.mean()), league[:, _RATE_ALL])
    out = {"league_zone_fg": league_zone}
    for role, id_column in (("shooter", "player_id"), ("defender", "CLOSEST_DEFENDER_PLAYER_ID")):
        record = records.lookup(role, np.asarray(shots[id_column], dtype=np.int64), days)
        zone_fg = np.where(np.isnan(record[rows, rate_of_zone]), league_zone, record[rows, rate_of_zone])
        out[f"{role}_zone_fg"] = zone_fg
        out[f"{role}_fg"] = np.where(np.isnan(record[:, _RATE_ALL]), league_all, record[:, _RATE_ALL])
        out[f"{role}_zone_edge"] = zone_fg - league_zone
        attempts = np.nan_to_num(record[:, 0], nan=0.0)
        out[f"{role}_log_attempts"] = np.log1p(attempts)
        # Shot mix says what kind of player this is (a rim-running big, a spot-up shooter).
        for offset, name in enumerate(ZONES):
            zone_attempts = np.nan_to_num(record[:, _FIRST_ZONE_ATT + offset], nan=0.0)
            share = (zone_attempts + SHARE_SHRINK_ATTEMPTS * SHARE_PRIOR[name]) / (attempts + SHARE_SHRINK_ATTEMPTS)
            out[f"{role}_share_{name}"] = share
    return out
