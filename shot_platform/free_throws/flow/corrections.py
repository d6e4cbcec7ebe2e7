"""Game results that change after the flow processed them: noticed, quarantined with a reason, reported.

A provider corrects a final game (a stat fix) by publishing the new result with a later
``updated_at``, and lists it among ``GET /v1/games?status=final&updated_since=T``. After each sync,
``check_corrections`` asks for the games changed since its watermark (the latest ``updated_at`` it
has seen, in ``free_throw_flow_state``; the first check lists every final game once), and for each
one the ledger has processed with another ``updated_at`` it reads the box score again and compares
the result's hash with the ledger's ``box_hash``:

- same result (a re-stamp, or a correction undone): the ledger's ``updated_at`` moves on, nothing else;
- another result: the new box score goes to the ``quarantine`` (kind ``corrected_result``)
  with a reason naming what changed (per player made/attempted, the score), and the report says so.

Counts, features, labels and predictions keep the result as processed: a game's effects were
committed with it, and predictions already served after later games were made from them, so a
correction is never applied silently (an operator decides: ``free_throw_player_features`` rebuilds
from the stored events, which keep the processed plays). The ledger keeps the processed ``box_hash``,
so the same correction is reported once and a further change again. A quarantined game whose box
score is still invalid after a change is not reported again; one that became valid is.

A provider without ``updated_at`` (every game in the ledger has none) cannot show a change: the
check is skipped and says so. A failure of the feed never stops the flow: the watermark does not
move, and the next sync asks again.

The watermark never passes the time of the check: a stamp in the future (``9999-12-31``) would
otherwise hide every later correction. Such a stamp (more than ``FUTURE_SLACK`` ahead) is
quarantined (kind ``implausible_updated_at``, once) and reported; a listed game whose fields are
unusable is quarantined (kind ``invalid_listing``) and the rest of the feed is checked.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select, update

from shot_platform.free_throws.flow import ledger
from shot_platform.free_throws.scores_api import (
    BoxScore,
    Game,
    GameNotFinal,
    InvalidBoxScore,
    InvalidListedGame,
    ScoresApiClient,
    ScoresApiError,
    UnknownGame,
)
from shot_platform.free_throws.store import FreeThrowStore, tables

WATERMARK = "corrections_checked_since"
KIND = "corrected_result"
SHOWN_CHANGES = 6  # player lines named in a reason
ID_CHUNK = 5_000  # game ids per IN (...) list
IMPLAUSIBLE = "implausible_updated_at"
INVALID_LISTING = "invalid_listing"
# How far ahead of this machine's clock a provider's stamp may be before it is implausible (clocks
# differ by seconds; a stamp hours ahead is a wrong one). The watermark is clamped to the check's time anyway.
FUTURE_SLACK = dt.timedelta(hours=1)


@dataclass
class CorrectionsReport:
    checked: int = 0  # processed games whose result was read again
    corrected: list[str] = field(default_factory=list)  # one line per newly quarantined correction
    quarantined: int = 0
    skipped: str = ""  # why the check did not run
    problem: str = ""  # the feed failed: checked again next time


def _stored_counts(conn: Connection, season: int, game_id: int) -> dict[str, tuple[int, int]]:
    """{player: (attempted, made)} of the game's stored plays (the result as processed)."""
    events = tables.free_throws
    query = (
        select(events.c.player, func.count(), func.sum(events.c.shot_made))
        .where(events.c.season_start == season, events.c.game_id == game_id)
        .group_by(events.c.player)
    )
    return {str(player): (int(attempted), int(made or 0)) for player, attempted, made in conn.execute(query).all()}


def describe_change(before: dict[str, tuple[int, int]], box: BoxScore) -> str:
    """What differs between the stored per-player counts and the new box score, in a line."""
    after = {line.player: (line.free_throws_attempted, line.free_throws_made) for line in box.players}
    changes = []
    for player in sorted(set(before) | set(after)):
        old, new = before.get(player, (0, 0)), after.get(player, (0, 0))
        if old != new:
            changes.append(f"{player} made/attempted {old[1]}/{old[0]} -> {new[1]}/{new[0]}")
    if not changes:
        return "the score or the plays changed, not the per-player free-throw counts"
    more = len(changes) - SHOWN_CHANGES
    return "; ".join(changes[:SHOWN_CHANGES]) + (f" (and {more} more players)" if more > 0 else "")


@dataclass
class _Changes:
    """What the feed says since the watermark."""

    games: list[Game] = field(default_factory=list)  # the games it lists
    differ: list[Any] = field(default_factory=list)  # the ledger rows among them whose updated_at differs
    watermark: dt.datetime | None = None  # the next one: the latest stamp, never past the check's time
    skipped: str = ""  # why nothing was asked
    invalid: list[InvalidListedGame] = field(default_factory=list)  # listed games with unusable fields
    implausible: list[Game] = field(default_factory=list)  # stamped later than the check's time allows
    checked_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def _changed_since_watermark(store: FreeThrowStore, client: ScoresApiClient) -> _Changes:
    """What changed since the watermark. Raises the client's ``ScoresApiError``."""
    found = _Changes()
    processed = ledger.processed_games
    with store.engine.connect() as conn:
        total, stamped = conn.execute(select(func.count(), func.count(processed.c.updated_at))).one()
        since_text = ledger.read_state(conn, WATERMARK)
    if not total:
        return found  # nothing processed yet: nothing can have changed
    if not stamped:
        found.skipped = "the Scores API gives no updated_at on the processed games: a corrected result cannot be seen"
        return found
    since = dt.datetime.fromisoformat(since_text) if since_text else None
    found.games = list(client.changed_final_games(since, on_invalid=found.invalid.append))
    stamps = [game.updated_at for game in found.games if game.updated_at is not None]
    if not stamps:
        return found
    found.watermark = min(max(stamps), found.checked_at)
    found.implausible = [
        game for game in found.games if game.updated_at and game.updated_at > found.checked_at + FUTURE_SLACK
    ]
    by_id = {game.id: game for game in found.games}
    ids = list(by_id)
    with store.engine.connect() as conn:  # the first check lists every final game: ids in chunks
        rows = [
            row
            for start in range(0, len(ids), ID_CHUNK)
            for row in conn.execute(select(processed).where(processed.c.game_id.in_(ids[start : start + ID_CHUNK])))
        ]
    found.differ = [
        row
        for row in rows
        if int(row.season) == by_id[int(row.game_id)].season
        and ledger.iso(by_id[int(row.game_id)].updated_at) != row.updated_at
    ]
    return found


def pending_corrections(store: FreeThrowStore, client: ScoresApiClient) -> list[Game]:
    """Processed games the provider changed since the last check (what the games sensor polls when no
    game is new); read-only. Raises the client's ``ScoresApiError``."""
    found = _changed_since_watermark(store, client)
    ids = {int(row.game_id) for row in found.differ}
    return [game for game in found.games if game.id in ids]


def check_corrections(
    store: FreeThrowStore, client: ScoresApiClient, progress: Callable[[str], None] | None = None
) -> CorrectionsReport:
    """Look for results changed since the last check; see the module docstring."""
    report = CorrectionsReport()
    say = progress or (lambda message: None)
    try:
        found = _changed_since_watermark(store, client)
    except ScoresApiError as error:
        report.problem = f"corrections not checked ({error}); the next sync asks again"
        return report
    report.skipped = found.skipped
    if found.watermark is None and not found.invalid:
        return report
    by_id = {game.id: game for game in found.games}
    with store.transaction() as conn:
        for bad in found.invalid:
            _report_listing(conn, report, say, bad.season, bad.game_id, INVALID_LISTING, bad.record.reason,
                            bad.record.payload)  # fmt: skip
        for game in found.implausible:
            # No time of the check in the reason: the same stamp is recorded once, not once per check.
            reason = (
                f"updated_at {game.updated_at.isoformat() if game.updated_at else None} is more than "
                f"{FUTURE_SLACK} in the future: not used as the corrections watermark (the time of the check is)"
            )
            _report_listing(conn, report, say, game.season, game.id, IMPLAUSIBLE, reason, game.model_dump_json())
        for row in found.differ:
            report.checked += 1
            _check_game(conn, client, row, by_id[int(row.game_id)], report, say)
        if found.watermark is not None:
            ledger.write_state(conn, WATERMARK, ledger.iso(found.watermark) or "")
    return report


def _report_listing(
    conn: Connection,
    report: CorrectionsReport,
    say: Callable[[str], None],
    season: int | None,
    game_id: int,
    kind: str,
    reason: str,
    payload: str,
) -> None:
    """A problem of the feed's own listing: quarantined once, said once."""
    new = ledger.quarantine_game(conn, season=season, game_id=game_id, kind=kind, reason=reason, payload=payload)
    if new:
        report.quarantined += new
        say(f"quarantined game {game_id} of the corrections feed ({kind}): {reason}")


def _check_game(
    conn: Connection,
    client: ScoresApiClient,
    row: Any,
    game: Game,
    report: CorrectionsReport,
    say: Callable[[str], None],
) -> None:
    """Read a processed game's result again; quarantine and report it when it changed."""
    season, game_id = int(row.season), int(row.game_id)
    was_quarantined = row.status == ledger.QUARANTINED
    try:
        box = client.box_score(game_id)
    except InvalidBoxScore as error:
        if was_quarantined:
            _touch(conn, season, game_id, game.updated_at)
            return
        _quarantine(conn, season, game_id, game.updated_at, report, say,
                    f"result changed after it was processed, and the new box score is invalid: {error.record.reason}",
                    error.record.payload)  # fmt: skip
        return
    except (GameNotFinal, UnknownGame) as error:
        _quarantine(conn, season, game_id, game.updated_at, report, say,
                    f"result changed after it was processed: {error}", game.model_dump_json())  # fmt: skip
        return
    if ledger.payload_hash(box.result_dump()) == row.box_hash:
        _touch(conn, season, game_id, box.game.updated_at)
        return
    if was_quarantined:
        reason = "was quarantined when processed; the provider has since published a valid box score (not applied)"
    else:
        reason = f"result changed after it was processed: {describe_change(_stored_counts(conn, season, game_id), box)}"
    _quarantine(conn, season, game_id, box.game.updated_at, report, say, reason,
                json.dumps(box.model_dump(mode="json"), sort_keys=True))  # fmt: skip


def _touch(conn: Connection, season: int, game_id: int, updated_at: dt.datetime | None) -> None:
    processed = ledger.processed_games
    conn.execute(
        update(processed)
        .where(processed.c.season == season, processed.c.game_id == game_id)
        .values(updated_at=ledger.iso(updated_at))
    )


def _quarantine(
    conn: Connection,
    season: int,
    game_id: int,
    updated_at: dt.datetime | None,
    report: CorrectionsReport,
    say: Callable[[str], None],
    reason: str,
    payload: str,
) -> None:
    """Record the change once (same game, reason and payload), kept counts untouched."""
    new = ledger.quarantine_game(conn, season=season, game_id=game_id, kind=KIND, reason=reason, payload=payload)
    _touch(conn, season, game_id, updated_at)
    if new:
        report.quarantined += new
        line = f"game {game_id}: {reason}; counts keep the result as processed"
        report.corrected.append(line)
        say(f"quarantined a corrected result: {line}")


__all__ = [
    "FUTURE_SLACK",
    "IMPLAUSIBLE",
    "INVALID_LISTING",
    "KIND",
    "WATERMARK",
    "CorrectionsReport",
    "check_corrections",
    "describe_change",
    "pending_corrections",
]
