"""SQL on the published warehouse, read-only, with the DuckDB the warehouse was written by.

    chiso sql "select * from mart.scorecard"     one query, printed as a table (or --csv)
    chiso sql                                    an interactive read-only prompt

The file is DuckDB 2.0 storage: DuckDB clients before 2.0 (the ``duckdb-cli``
1.5.x of the package index among them) cannot open it. This command uses the
project's own ``duckdb`` package, so it always can; the connection is
read-only, so a nightly run is never blocked and nothing is written.
"""

from __future__ import annotations

import contextlib
import csv
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

import duckdb

from warehouse.build import connect_published

PROMPT, MORE = "chiso> ", "   ..> "
HELP = """Read-only SQL on the published warehouse (DuckDB {version}). End a statement with ';'.
  .tables            relations with their comments      .schema <relation>   its columns
  .quit              leave (or Ctrl-D)
Start with: select * from mart.scorecard;  or  select * from mart.indicator_catalogue;"""


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.exists():
        raise FileNotFoundError(f"no published warehouse at {path}; run `chiso nightly` first")
    return connect_published(path)


def run_query(
    con: duckdb.DuckDBPyConnection, sql: str, out: TextIO, as_csv: bool = False, max_rows: int = 200
) -> int:
    """Run one statement; print its result (a table, or CSV); return the number of rows."""
    rel = con.sql(sql)
    if rel is None:  # a statement without a result (e.g. SET)
        return 0
    if as_csv:
        rows = rel.fetchall()
        writer = csv.writer(out)
        writer.writerow(rel.columns)
        writer.writerows(rows)
        return len(rows)
    with contextlib.redirect_stdout(out):
        rel.show(max_rows=max_rows, max_width=200, null_value="NULL")
    return -1


def dot_command(con: duckdb.DuckDBPyConnection, line: str, out: TextIO) -> bool:
    """A prompt command (``.tables``, ``.schema x``); False for ``.quit``."""
    word, _, arg = line.strip().partition(" ")
    if word in (".quit", ".exit", ".q"):
        return False
    if word == ".tables":
        run_query(
            con,
            """select schema_name || '.' || table_name as relation, 'table' as kind, comment
               from duckdb_tables() union all
               select schema_name || '.' || view_name, 'view', comment from duckdb_views()
               where not internal order by 1""",
            out,
            max_rows=500,
        )
    elif word == ".schema" and arg:
        schema, _, name = arg.strip().rstrip(";").rpartition(".")
        run_query(
            con,
            f"""select column_name, data_type, comment from duckdb_columns()
                where table_name = '{name.replace("'", "''")}'
                  {f"and schema_name = '{schema}'" if schema else ""} order by column_index""",
            out,
            max_rows=500,
        )
    else:
        out.write(HELP.format(version=duckdb.__version__) + "\n")
    return True


def repl(
    con: duckdb.DuckDBPyConnection,
    read: Callable[[str], str] = input,
    out: TextIO = sys.stdout,
) -> int:
    """The interactive prompt: statements end with ';'; errors are printed, the prompt goes on."""
    out.write(HELP.format(version=duckdb.__version__) + "\n")
    buffer: list[str] = []
    while True:
        try:
            line = read(MORE if buffer else PROMPT)
        except EOFError:
            out.write("\n")
            return 0
        if not buffer and line.strip().startswith("."):
            if not dot_command(con, line, out):
                return 0
            continue
        buffer.append(line)
        text = "\n".join(buffer).strip()
        if not text.endswith(";"):
            continue
        buffer = []
        try:
            run_query(con, text, out)
        except duckdb.Error as exc:
            out.write(f"error: {exc}\n")


def lines(items: Iterable[str]) -> Callable[[str], str]:
    """A ``read`` for ``repl`` that answers from a list (then end of input)."""
    it = iter(items)

    def read(_prompt: str) -> str:
        try:
            return next(it)
        except StopIteration:
            raise EOFError from None

    return read
