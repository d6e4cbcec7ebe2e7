"""The stored score_beater predictions as a CSV or Parquet file, filtered in the database and written
in batches, so memory stays flat however many rows the store holds."""

from __future__ import annotations

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


SCHEMA_FIELDS = (
    ("season", "string"),
    ("player", "string"),
    ("games_played", "int32"),
    ("probability", "float64"),
    ("model_version", "string"),
    ("made_at", "timestamp[us, tz=UTC]"),
)


def schema():
    import pyarrow as pa

    types = {"string": pa.string(), "int32": pa.int32(), "float64": pa.float64(),
             "timestamp[us, tz=UTC]": pa.timestamp("us", tz="UTC")}  # fmt: skip
    return pa.schema([(name, types[kind]) for name, kind in SCHEMA_FIELDS])


def batches(engine: Engine, chosen: PredictionFilter, size: int = BATCH_ROWS) -> Iterator[list[tuple]]:
    """The rows in export order, ``size`` at a time, read with a server-side cursor where the database
    has one. Times are UTC: naive ones (SQLite) are read as UTC by the Arrow conversion."""
    labels: dict[int, str] = {}
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=size).execute(query(chosen))
        for rows in result.partitions(size):
            yield [
                (labels.get(row[0]) or labels.setdefault(row[0], season_label(int(row[0]))), *row[1:]) for row in rows
            ]


def tables_of(parts: Iterator[list[tuple]]):
    """Each batch as an Arrow table of the export's schema (built column by column)."""
    import pyarrow as pa

    target = schema()
    for rows in parts:
        columns = list(zip(*rows, strict=True)) if rows else [[] for _ in target]
        yield pa.Table.from_arrays([pa.array(c, t) for c, t in zip(columns, target.types, strict=True)], schema=target)


def export(
    engine: Engine, chosen: PredictionFilter, output: Path, progress: Callable[[int], None] | None = None
) -> int:
    """Write the chosen predictions to ``output`` (format from its name); returns the row count."""
    kind = output_format(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    writer = _write_parquet if kind == "parquet" else _write_csv
    return writer(batches(engine, chosen), output, progress or (lambda rows: None))


def _write_csv(parts: Iterator[list[tuple]], output: Path, progress: Callable[[int], None]) -> int:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    written = 0
    compression = "gzip" if output.name.lower().endswith(".gz") else None
    sink = pa.CompressedOutputStream(str(output), compression) if compression else pa.OSFile(str(output), "wb")
    with sink, pcsv.CSVWriter(sink, schema()) as writer:  # strings quoted: valid CSV whatever a name holds
        for table in tables_of(parts):
            writer.write_table(table)
            written += table.num_rows
            progress(written)
    return written


def _write_parquet(parts: Iterator[list[tuple]], output: Path, progress: Callable[[int], None]) -> int:
    import pyarrow.parquet as pq

    written = 0
    with pq.ParquetWriter(output, schema()) as writer:
        for table in tables_of(parts):
            writer.write_table(table)
            written += table.num_rows
            progress(written)
    return written
