"""Game results that change after the flow processed them: noticed, quarantined with a reason, reported.

A provider corrects a final game (a stat fix) by publishing the new result with a later
``updated_at``, and lists it among ``GET /v1/games?status=final&updated_since=T``. After each sync,
``check_corrections`` asks for the games changed since its watermark (the latest ``updated_at`` it
has seen, in ``free_throw_flow_state``; the first check lists every final game once), and for each
one the ledger has processed with another ``updated_at`` it reads the box score again and compares
the result's hash with the ledger's ``box_hash``:

- same result (a re-stamp, or a correction undone): the ledger's ``updated_at`` moves on, nothing else;
- another result: the new box score goes to ``free_throw_game_quarantine`` (kind ``corrected_result``)
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
    ScoresApiClient,
    ScoresApiError,
    UnknownGame,
)
from shot_platform.free_throws.store import FreeThrowStore, tables

WATERMARK = "corrections_checked_since"
KIND = "corrected_result"
SHOWN_CHANGES = 6  # player lines named in a reason
ID_CHUNK = 5_000  # game ids per IN (...) list


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


def _changed_since_watermark(
    store: FreeThrowStore, client: ScoresApiClient
) -> tuple[list[Game], list[Any], dt.datetime | None, str]:
    """(games the feed lists, the ledger rows among them whose updated_at differs, the new watermark,
    why nothing was asked). Raises the client's ``ScoresApiError``."""
    processed = ledger.processed_games
    with store.engine.connect() as conn:
        total, stamped = conn.execute(select(func.count(), func.count(processed.c.updated_at))).one()
        since_text = ledger.read_state(conn, WATERMARK)
    if not total:
        return [], [], None, ""  # nothing processed yet: nothing can have changed
    if not stamped:
        return (
            [],
            [],
            None,
            "the Scores API gives no updated_at on the processed games: a corrected result cannot be seen",
        )
    since = dt.datetime.fromisoformat(since_text) if since_text else None
    changed = list(client.changed_final_games(since))
    if not changed:
        return [], [], None, ""
    watermark = max(game.updated_at for game in changed if game.updated_at is not None)
    by_id = {game.id: game for game in changed}
    ids = list(by_id)
    with store.engine.connect() as conn:  # the first check lists every final game: ids in chunks
        rows = [
            row
            for start in range(0, len(ids), ID_CHUNK)
            for row in conn.execute(select(processed).where(processed.c.game_id.in_(ids[start : start + ID_CHUNK])))
        ]
    differ = [
        row
        for row in rows
        if int(row.season) == by_id[int(row.game_id)].season
        and ledger.iso(by_id[int(row.game_id)].updated_at) != row.updated_at
    ]
    return changed, differ, watermark, ""


def pending_corrections(store: FreeThrowStore, client: ScoresApiClient) -> list[Game]:
    """Processed games the provider changed since the last check (what the games sensor polls when no
    game is new); read-only. Raises the client's ``ScoresApiError``."""
    changed, differ, _, _ = _changed_since_watermark(store, client)
    ids = {int(row.game_id) for row in differ}
    return [game for game in changed if game.id in ids]


def check_corrections(
    store: FreeThrowStore, client: ScoresApiClient, progress: Callable[[str], None] | None = None
) -> CorrectionsReport:
    """Look for results changed since the last check; see the module docstring."""
    report = CorrectionsReport()
    say = progress or (lambda message: None)
    try:
        changed, differ, watermark, report.skipped = _changed_since_watermark(store, client)
    except ScoresApiError as error:
        report.problem = f"corrections not checked ({error}); the next sync asks again"
        return report
    if watermark is None:
        return report
    by_id = {game.id: game for game in changed}
    with store.transaction() as conn:
        for row in differ:
            report.checked += 1
            _check_game(conn, client, row, by_id[int(row.game_id)], report, say)
        ledger.write_state(conn, WATERMARK, ledger.iso(watermark) or "")
    return report


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


__all__ = ["KIND", "WATERMARK", "CorrectionsReport", "check_corrections", "describe_change", "pending_corrections"]
