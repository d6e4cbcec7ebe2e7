"""The stored score_beater predictions as a CSV or Parquet file, filtered in the database and written
in batches, so memory stays flat however many rows the store holds."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, Select, func, select

from shot_platform.free_throws.schema import season_label
from shot_platform.free_throws.store import tables

COLUMNS = ("season", "player", "games_played", "probability", "model_version", "made_at")
# Rows fetched from the database and written at a time: large enough that the per-batch cost
# vanishes, small enough that memory does not grow with the store.
BATCH_ROWS = 50_000
FORMATS = ("csv", "parquet")


class ExportError(ValueError):
    """An export that cannot be written as asked; the message names what to change."""


@dataclass(frozen=True)
class PredictionFilter:
    """Which predictions: seasons by start year, players by name, model versions; ``latest`` keeps,
    of each player-season, the prediction made last (the one in force now)."""

    seasons: Sequence[int] = ()
    players: Sequence[str] = ()
    model_versions: Sequence[str] = ()
    latest: bool = False


def output_format(path: Path) -> str:
    """``csv`` or ``parquet``, from the file name; anything else is refused naming both."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes[-1:] == [".parquet"]:
        return "parquet"
    if suffixes[-1:] == [".csv"] or suffixes[-2:] == [".csv", ".gz"]:
        return "csv"
    raise ExportError(f"{path}: name the output .csv, .csv.gz or .parquet (the format follows the name)")


def query(chosen: PredictionFilter) -> Select:
    """The rows, filtered and ordered by season, games_played, player and model version."""
    table = tables.score_beater_predictions
    source = table
    if chosen.latest:
        rank = (
            func.row_number()
            .over(
                partition_by=(table.c.season, table.c.player),
                order_by=(table.c.games_played.desc(), table.c.made_at.desc(), table.c.model_version.desc()),
            )
            .label("rank")
        )
        source = select(table, rank).where(*_conditions(table, chosen)).subquery()
    columns = [source.c[name] for name in COLUMNS]
    statement = select(*columns).where(*_conditions(source, chosen))
    if chosen.latest:
        statement = statement.where(source.c.rank == 1)
    return statement.order_by(source.c.season, source.c.games_played, source.c.player, source.c.model_version)


def _conditions(source, chosen: PredictionFilter) -> list:
    conditions = []
    if chosen.seasons:
        conditions.append(source.c.season.in_(list(chosen.seasons)))
    if chosen.players:
        conditions.append(source.c.player.in_(list(chosen.players)))
    if chosen.model_versions:
        conditions.append(source.c.model_version.in_(list(chosen.model_versions)))
    return conditions


def batches(engine: Engine, chosen: PredictionFilter, size: int = BATCH_ROWS) -> Iterator[list[tuple]]:
    """The rows in export order, ``size`` at a time, read with a server-side cursor where the database
    has one."""
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=size).execute(query(chosen))
        for rows in result.partitions(size):
            yield [(season_label(int(row[0])), *row[1:5], _utc(row[5])) for row in rows]


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite gives back naive times (stored as UTC); PostgreSQL gives aware ones.
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def export(
    engine: Engine, chosen: PredictionFilter, output: Path, progress: Callable[[int], None] | None = None
) -> int:
    """Write the chosen predictions to ``output`` (format from its name); returns the row count."""
    kind = output_format(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    writer = _write_parquet if kind == "parquet" else _write_csv
    return writer(batches(engine, chosen), output, progress or (lambda rows: None))


def _write_csv(parts: Iterator[list[tuple]], output: Path, progress: Callable[[int], None]) -> int:
    import gzip

    opener = gzip.open if output.name.lower().endswith(".gz") else open
    written = 0
    with opener(output, "wt", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(COLUMNS)
        for rows in parts:
            # repr keeps every digit of a probability (it reads back as the same float)
            out.writerows(
                (season, player, games, repr(float(probability)), version, made_at.isoformat(sep=" "))
                for season, player, games, probability, version, made_at in rows
            )
            written += len(rows)
            progress(written)
    return written


def _write_parquet(parts: Iterator[list[tuple]], output: Path, progress: Callable[[int], None]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            ("season", pa.string()),
            ("player", pa.string()),
            ("games_played", pa.int32()),
            ("probability", pa.float64()),
            ("model_version", pa.string()),
            ("made_at", pa.timestamp("us", tz="UTC")),
        ]
    )
    written = 0
    with pq.ParquetWriter(output, schema) as writer:
        for rows in parts:
            columns = list(zip(*rows, strict=True))
            writer.write_table(
                pa.Table.from_arrays([pa.array(c, t) for c, t in zip(columns, schema.types)], schema=schema)
            )
            written += len(rows)
            progress(written)
    if not written:  # an empty export is still a readable file with the columns
        pq.write_table(schema.empty_table(), output)
    return written
