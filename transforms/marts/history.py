"""``audit.indicator_history``: every published value that changed, old and new, and why.

Called once at the end of ``compute_indicators`` with the values published
before (``_previous``, a copy of the previous ``mart.indicator_value``): a
value (indicator, period, unit, and any other column that identifies a row)
whose numerator, denominator or value differs from the one published before,
or that is blocked or released by the quality gate, gets a row with both, the run that computed each and the reason:

- ``definition changed``: the catalogue entry's computation (table, filter,
  numerator, denominator, periods, ...) differs from the one last recorded in
  ``meta.indicator_definition``;
- ``blocked: <why>`` / ``no longer blocked``: the quality gate held it back or
  let it through again;
- ``no longer published``: the row is gone (e.g. a unit not valid then);
- ``new data for an open period``: the source delivered in this run a file dated
  within the period or its delivery allowance (``ref.source.due_days``);
- ``corrected by <files>``: the source's files of this run all came after the
  period had closed, so they changed its past;
- ``recomputed without new data from <source>``: nothing was delivered, yet the
  value changed (reference lists or code).

A value published for the first time is not a change and gets no row.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import duckdb

# the columns of mart.indicator_value that are the value, not what identifies it
MEASURES = {
    "numerator",
    "denominator",
    "value",
    "target",
    "comparator",
    "unit",
    "met",
    "status",
    "status_reason",
    "run_id",
    "value_run_id",
    "admin_name",
    "period_label",
}
STANDARD_KEY = [
    "indicator_id",
    "period_type",
    "period_start",
    "period_end",
    "admin_level",
    "admin_code",
]
DESCRIBING = ("_name", "_label", "_reason")
NUMERIC = ("DOUBLE", "FLOAT", "DECIMAL", "INTEGER", "BIGINT", "HUGEINT", "SMALLINT", "TINYINT")
# catalogue fields that describe an indicator without changing how its value is computed
DESCRIPTIVE = {
    "name_vi",
    "name_en",
    "counted_en",
    "counted_vi",
    "definition",
    "reference",
    "drilldown",
    "target",
    "target_expr",
    "comparator",
    "lower_is_better",
    "decimals",
    "display_decimals",
    "headline_period",
    "scorecard_period",
    "variant_of",
}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f"describe {table}").fetchall()}


def key_columns(con: duckdb.DuckDBPyConnection, previous: str) -> list[str]:
    """What identifies a published value: the standard key, plus any other non-measure column
    both the old and the new table have (e.g. a geography view), numbers excepted."""
    new, old = _columns(con, "mart.indicator_value"), _columns(con, previous)
    extra = sorted(
        c
        for c in new.keys() & old.keys()
        if c not in MEASURES
        and c not in STANDARD_KEY
        and not new[c].startswith(NUMERIC)
        and not c.endswith(DESCRIBING)
        # parent and last day describe the unit; its first day tells apart the two units of a
        # reused code in a period that runs across 1/7/2025
        and not c.startswith(("parent_", "unit_valid_to"))
    )
    return STANDARD_KEY + extra


def definition_hashes(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Indicator id -> hash of the catalogue fields that decide its value."""
    cursor = con.execute("select * from mart.indicator_catalogue")
    names = [d[0] for d in cursor.description]
    out = {}
    for row in cursor.fetchall():
        entry = {n: v for n, v in zip(names, row, strict=True) if n not in DESCRIPTIVE}
        text = json.dumps(entry, sort_keys=True, default=str, ensure_ascii=False)
        out[str(entry["indicator_id"])] = hashlib.sha256(text.encode()).hexdigest()[:16]
    return out


def changed_definitions(con: duckdb.DuckDBPyConnection, run_id: str) -> set[str]:
    """Indicators whose computation differs from the one last recorded; records the current ones."""
    current = definition_hashes(con)
    recorded = dict(
        con.execute(
            "select indicator_id, definition_hash from meta.indicator_definition"
        ).fetchall()
    )
    changed = {i for i, h in current.items() if i in recorded and recorded[i] != h}
    new = [[i, h, run_id, datetime.now()] for i, h in current.items() if recorded.get(i) != h]
    if new:
        con.executemany("insert or replace into meta.indicator_definition values (?, ?, ?, ?)", new)
    return changed


def record_history(con: duckdb.DuckDBPyConnection, run_id: str, previous: str | None) -> int:
    """Append to ``audit.indicator_history`` the values that changed since ``previous`` (the table of
    values published before; None on the first publication); return the rows appended."""
    changed = changed_definitions(con, run_id)
    if previous is None:
        return 0
    keys = key_columns(con, previous)
    extra = [k for k in keys if k not in STANDARD_KEY]
    on = " and ".join(f"o.{k} is not distinct from n.{k}" for k in keys)
    pick = ", ".join(f"coalesce(n.{k}, o.{k}) as {k}" for k in keys)
    row_key = (
        "to_json({" + ", ".join(f"'{k}': coalesce(n.{k}, o.{k})" for k in extra) + "})::varchar"
        if extra
        else "null"
    )
    con.execute(
        f"""
        create or replace temp table _changes as
        select
            {pick},
            {row_key} as row_key,
            o.numerator as old_numerator, o.denominator as old_denominator, o.value as old_value,
            o.status as old_status, coalesce(o.value_run_id, o.run_id) as old_run_id,
            n.numerator as new_numerator, n.denominator as new_denominator, n.value as new_value,
            n.status as new_status, n.status_reason as new_status_reason,
            n.indicator_id is null as withdrawn
        from (select * from {previous} where period_start is not null) as o
        full join (select * from mart.indicator_value where period_start is not null) as n on {on}
        where o.indicator_id is not null
          and (n.indicator_id is null
               or o.numerator is distinct from n.numerator
               or o.denominator is distinct from n.denominator
               or o.value is distinct from n.value
               or (o.status = 'blocked') is distinct from (n.status = 'blocked'))
        """
    )
    con.execute("create or replace temp table _redefined (indicator_id varchar)")
    if changed:
        con.executemany("insert into _redefined values (?)", [[i] for i in sorted(changed)])
    n = con.execute(
        """
        insert into audit.indicator_history
        with
        catalogue as (select indicator_id, source from mart.indicator_catalogue),
        run_files as (
            select
                m.source, m.name, m.file_date, coalesce(s.due_days, 1) as due_days,
                row_number() over (partition by m.source order by m.file_date, m.name) as rank
            from meta.manifest as m
            left join ref.source as s using (source)
            where m.run_id = ? and m.status = 'loaded'
        ),
        explained as (
            select
                c.*,
                case
                    when c.indicator_id in (select indicator_id from _redefined) then 'definition changed'
                    when c.withdrawn then 'no longer published'
                    when c.new_status = 'blocked' and c.old_status is distinct from 'blocked'
                        then 'blocked: ' || coalesce(c.new_status_reason, 'a critical check failed')
                    when c.old_status = 'blocked' then 'no longer blocked'
                    when exists (
                        select 1 from run_files as f
                        where f.source = k.source
                          and f.file_date <= c.period_end + f.due_days * interval 1 day
                    ) then 'new data for an open period'
                    when exists (select 1 from run_files as f where f.source = k.source)
                        then 'corrected by ' || (
                            select string_agg(f.name, ', ' order by f.file_date, f.name)
                            from run_files as f where f.source = k.source and f.rank <= 5
                        ) || case when (
                            select count(*) from run_files as f where f.source = k.source
                        ) > 5 then ' and more' else '' end
                    else 'recomputed without new data from ' || coalesce(k.source, 'its source')
                end as reason
            from _changes as c
            left join catalogue as k using (indicator_id)
        )
        select
            indicator_id, period_type, period_start, period_end, admin_level, admin_code, row_key,
            old_numerator, old_denominator, old_value, old_status, old_run_id,
            new_numerator, new_denominator, new_value, new_status, ? as new_run_id,
            reason, ? as recorded_at
        from explained
        """,
        [run_id, run_id, datetime.now()],
    ).fetchall()[0][0]
    con.execute("drop table _changes; drop table _redefined")
    return int(n)
