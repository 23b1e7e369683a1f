"""The build's database held open across a run's steps (``warehouse.build.hold_open``): each
step's session joins it, and it is closed before the file is published."""

from __future__ import annotations

import duckdb
import pytest

from warehouse import build as wh


def test_sessions_join_the_held_database_and_it_closes_before_publishing(tmp_path) -> None:
    path = tmp_path / "build.duckdb"
    duckdb.connect(str(path)).close()
    held = wh.hold_open(path)
    with wh.session(path) as con:
        con.execute("create table t as select 1 as v")
    with wh.session(path) as con:  # the step after sees what the one before committed
        assert con.execute("select v from t").fetchall() == [(1,)]
    # the database is still open read-write in this process: no read-only opening of it
    with pytest.raises(duckdb.Error):
        duckdb.connect(str(path), read_only=True)
    held.close()
    held.close()  # (idempotent: the flow closes it before publishing, and again at the end)
    reader = duckdb.connect(str(path), read_only=True)
    try:
        assert reader.execute("select v from t").fetchall() == [(1,)]
    finally:
        reader.close()
