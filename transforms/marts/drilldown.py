"""Drill-downs: an indicator's numerator and denominator split by a dimension below the unit.

"Which procedures drive T04's gap?" An indicator's catalogue entry names its
drill-down dimensions (``drilldown: {procedure: {column: procedure_code, label: ...}}``);
for each, the rows the headline counts (``indicators.rows_sql``, the one definition
of which rows count where and when) are grouped by the dimension's column as well
as by period and unit, with the same numerator and denominator expressions. So the
members of a unit add up to the unit's headline numerator and denominator, and each
member's share of the unit's gap adds up to the gap:

    gap_count = numerator - target / factor x denominator   (items short (-) or ahead (+)
                                                              of the target on its own rows)
    gap_pp    = factor x gap_count / the unit's denominator (its part of value - target)

A dimension may be computed on a finer table with the same columns (``from``: T12 by
operator, one row per commune, quarter and operator); where members overlap
(``additive: false``, an address two operators serve) each member's row is its own
reach and the members do not add up.

Computed for the province and district levels the indicator has (communes have one
agency each, and the commune drill-downs would dwarf the rest), in the ``as_it_was``
geography view (``geo_view``): the province row is the plan's area for every period
(from 1/7/2025 the new units formed from it and the city-level rows its area rule gives
it), districts through June 2025. A blocked indicator
keeps its last published drill-down, as its headline keeps its last values.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

from transforms.marts.additive import Additive, daily_ctes, mentions_period
from transforms.marts.daily import (
    COUNTED,
    Counts,
    count_days,
    counts_per_day,
    forget_others,
    store_days,
)
from transforms.marts.indicators import (
    AREA_NAME,
    WHOLE,
    Drilldown,
    Indicator,
    Reading,
    daily_parts,
    rows_sql,
    shape,
    table_columns,
)
from transforms.marts.scope import forget_recomputed_periods
from warehouse.build import existing_tables
from warehouse.delta import Change

STORED = "meta.drilldown_daily"

DRILLDOWN_LEVELS = ("province", "district")
UNIT_KEYS = {"province": "_province", "district": "_district", "commune": "_commune"}

DRILLDOWN_COLUMNS = """
    indicator_id varchar, dimension varchar, additive boolean, period_type varchar, period_start date, period_end date,
    period_label varchar, admin_level varchar, admin_code varchar, admin_name varchar,
    member_code varchar, member_name varchar, numerator double, denominator double, value double,
    unit_numerator double, unit_denominator double, unit_value double, target double,
    gap_count double, gap_pp double, gap_rank bigint, run_id varchar, geo_view varchar
"""


def _label_sql(d: Drilldown, present: set[str]) -> tuple[str, str]:
    """(select expression of the member's name, join clause) for a drill-down's label."""
    if d.label is None:
        return "cast(null as varchar)", ""
    if d.label.count(".") == 2:
        table, column = d.label.rsplit(".", 1)
        if table not in present:
            return "cast(null as varchar)", ""
        join = (
            f"left join (select cast({d.key or d.column} as varchar) as _key, "
            f"any_value({column}) as _label from {table} group by all) as lbl "
            "on lbl._key = g.member_code"
        )
        return "cast(lbl._label as varchar)", join
    return "g.member_label", ""


def member_keys(ind: Indicator, d: Drilldown) -> list[str]:
    """What a drill-down's rows are counted per day by: the member, the province and district,
    and the member's label where the row carries it."""
    keys = [f"cast({d.column} as varchar) as _member", "_province", "_district"]
    if d.label and d.label.count(".") != 2:  # a label of the row: kept with its member, per day
        keys.append(f"{d.label} as _label")
    return keys


def member_counts(ind: Indicator, d: Drilldown) -> tuple[Indicator, Additive | None]:
    """The rows a drill-down reads (the indicator's, from the dimension's own table if it has
    one) and their partial counts per day, if they are counted per day."""
    rows = ind if not d.from_ else ind.model_copy(update={"from_": d.from_})
    parts = daily_parts(rows)
    if parts is None or any(mentions_period(k) for k in member_keys(ind, d)):
        return rows, None
    return rows, parts


def drilldown_counts(con: duckdb.DuckDBPyConnection, ind: Indicator, d: Drilldown) -> Counts | None:
    """What a drill-down counts per day and where it keeps the counts; None: it is aggregated
    from its rows."""
    rows, parts = member_counts(ind, d)
    if parts is None or counts_per_day(con, rows, parts) is None:
        return None
    return Counts(rows, parts, member_keys(ind, d), STORED, {"dimension": d.dimension})


def drilldown_sql(
    ind: Indicator,
    d: Drilldown,
    present: set[str],
    how: Reading = WHOLE,
    counted: str | None = None,
) -> str:
    """Numerator and denominator per period, unit (province, district) and member of ``d``
    (of the indicator's ``_scope`` periods only if ``how.scoped``). ``counted``: a table
    holding its partial counts per day already (``transforms.marts.daily``)."""
    levels = [lvl for lvl in DRILLDOWN_LEVELS if lvl in ind.levels]
    if not levels:
        return ""
    sets = []
    for lvl in levels:
        keys = ["_province"] + (["_district"] if lvl == "district" else [])
        sets.append(f"(period_type, period_start, period_end, {', '.join(keys)}, _member)")
    admin_code = (
        "case when grouping(_district) = 0 then _district else _province end"
        if "district" in levels
        else "_province"
    )
    row_label = f"any_value({d.label})" if d.label and d.label.count(".") != 2 else "null"
    label_expr, label_join = _label_sql(d, present)
    rows, parts = member_counts(ind, d)
    numerator, denominator = ind.numerator, ind.denominator
    source = f"(select *, cast({d.column} as varchar) as _member from joined)"
    daily = ""
    if parts is not None:
        numerator, denominator = parts.rewritten[:2]
        row_label = "any_value(_label)" if row_label != "null" else row_label
        source = "_daily_joined"
        daily = "," + daily_ctes(
            "resolved", member_keys(ind, d), str(rows.date_column), parts, counted
        )
    elif counted is not None:
        raise ValueError(f"{ind.id} by {d.dimension} is not counted per day")
    return f"""{rows_sql(rows, how)}{daily},

grouped as (
    select
        period_type, period_start, period_end,
        {admin_code} as admin_code,
        _member as member_code,
        cast({row_label} as varchar) as member_label,
        cast({numerator} as double) as numerator,
        cast({denominator} as double) as denominator
    from {source}
    group by grouping sets ({", ".join(sets)})
),

final as (
    select
        '{ind.id}' as indicator_id,
        '{d.dimension}' as dimension,
        {str(d.additive).lower()} as additive,
        {str(d.additive).lower()} as additive,
        g.period_type, g.period_start, g.period_end, p.period_label,
        u.admin_level, g.admin_code,
        case when u.admin_level = 'province' then '{AREA_NAME}' else u.unit_name end as admin_name,
        g.member_code,
        {label_expr} as member_name,
        g.numerator, g.denominator
    from grouped as g
    join core.dim_period as p
        on p.period_type = g.period_type and p.period_end = g.period_end
    -- the province (the plan's area: its first validity) and the districts (codes not reused)
    join (select distinct on (unit_code) * from core.dim_unit where plan_area_code is not null
          order by unit_code, valid_from) as u
        on u.unit_code = g.admin_code
    {label_join}
    -- a member with nothing counted in a period (e.g. a facility of another snapshot) is left out
    where coalesce(g.numerator, 0) <> 0 or coalesce(g.denominator, 0) <> 0
)

select * from final
"""


def compute_drilldowns(
    con: duckdb.DuckDBPyConnection,
    indicators: list[Indicator],
    run_id: str,
    blocked: dict[str, str] | None = None,
    scoped: set[str] | None = None,
    changes: dict[str, Change] | None = None,
    together: Mapping[str, str] | None = None,
) -> dict[str, int]:
    """Bring ``mart.indicator_drilldown`` up to date (after ``mart.indicator_value``); return
    its rows per indicator.

    ``scoped``: indicators computed for their ``_scope`` periods only (after
    ``compute_indicators`` filled it); their other periods keep their published rows.
    ``changes``: what the night did to the core tables, by which the kept partial counts per
    day are moved (``transforms.marts.daily``); ``together``: partial counts per day made
    already (``transforms.marts.together``).

    Each member row carries its unit's headline numerator, denominator and value
    (from ``mart.indicator_value``) and its share of the unit's gap to the target.

    On a published table the night removes only the rows it computes again (an indicator
    computed whole: all of them; a scoped one: its periods in scope and the periods it no
    longer has) and the rows of indicators without drill-downs now, then inserts the fresh
    rows; every other row stays as it is, with its run and rank (a blocked indicator's
    too). The table no longer costs the whole history every night.
    """
    blocked = blocked or {}
    counted: set[str] = set()  # indicator/dimension whose partial counts per day are kept
    present = existing_tables(con)
    had_previous = "mart.indicator_drilldown" in present
    scoped = (scoped or set()) if had_previous else set()
    con.execute(f"create or replace temp table _drill_raw ({DRILLDOWN_COLUMNS})")
    if had_previous:
        con.execute(  # drill-downs published before the views existed are the as-it-was view
            "alter table mart.indicator_drilldown add column if not exists geo_view varchar "
            "default 'as_it_was'"
        )
    drilled = [ind for ind in indicators if ind.drilldown]
    redone: list[str] = []  # indicators whose published rows all go (computed whole, or no input)
    for ind in drilled:
        if ind.id in blocked:
            continue  # its published rows stay
        if any(t not in present for t in ind.inputs if not t.startswith("source:")):
            redone.append(ind.id)
            continue
        if ind.id in scoped and had_previous:
            forget_recomputed_periods(con, ind)
        else:
            redone.append(ind.id)
        for d in ind.dimensions:
            if d.from_ and d.from_ not in present:
                continue
            columns = table_columns(con, d.from_ or ind.from_)
            how = shape(ind, columns, scoped=ind.id in scoped)
            per_day = drilldown_counts(con, ind, d)
            if per_day is not None:
                change = (changes or {}).get(per_day.ind.from_)
                count_days(con, per_day, how, run_id, change, together)
            sql = drilldown_sql(ind, d, present, how, COUNTED if per_day else None)
            if not sql:
                continue
            con.execute(
                f"""insert into _drill_raw by name
                    select r.*, 'as_it_was' as geo_view
                    from (
                        with raw as ({sql})
                        select indicator_id, dimension, additive, period_type, period_start, period_end,
                               period_label, admin_level, admin_code, admin_name, member_code,
                               member_name, numerator, denominator,
                               case when denominator > 0
                                   then {ind.factor} * numerator / denominator end as value
                        from raw
                    ) as r"""
            )
            if per_day is not None:
                store_days(con, per_day, run_id)
                counted.add(f"{ind.id}/{d.dimension}")
    forget_others(con, counted, STORED, "indicator_id || '/' || dimension")
    fresh = [i.id for i in drilled if i.id not in blocked]
    if had_previous:
        con.execute(
            """delete from mart.indicator_drilldown
               where indicator_id in (select unnest(?::varchar[]))
                  or indicator_id not in (select unnest(?::varchar[]))""",
            [redone, [i.id for i in drilled]],
        )
        con.execute(f"insert into mart.indicator_drilldown by name {RANKED}", [run_id])
    else:
        con.execute(
            f"""create or replace table mart.indicator_drilldown as
                {RANKED}
                order by indicator_id, dimension, period_type, period_end, admin_level,
                         admin_code, gap_rank""",
            [run_id],
        )
    make_dimension_views(con, indicators)
    counts = dict(
        con.execute(
            "select indicator_id, count(*) from mart.indicator_drilldown group by 1"
        ).fetchall()
    )
    for ind_id in fresh:
        counts.setdefault(ind_id, 0)
    return counts


# the fresh member rows of ``_drill_raw`` with their unit's headline, their gap and its rank
RANKED = """
    with

    raw as (
        select * from _drill_raw
    ),

    headline as (
        select * from mart.indicator_value
    ),

    fresh as (
        select
            r.* exclude (unit_numerator, unit_denominator, unit_value, target, gap_count,
                         gap_pp, gap_rank, run_id),
            h.numerator as unit_numerator,
            h.denominator as unit_denominator,
            h.value as unit_value,
            c.target,
            r.numerator - c.target / c.factor * r.denominator as gap_count,
            case when h.denominator > 0 then
                c.factor * (r.numerator - c.target / c.factor * r.denominator) / h.denominator
            end as gap_pp
        from raw as r
        join mart.indicator_catalogue as c on c.indicator_id = r.indicator_id
        left join headline as h
            on h.indicator_id = r.indicator_id and h.period_type = r.period_type
            and h.period_end = r.period_end and h.admin_code = r.admin_code
            and h.geo_view = r.geo_view
    ),

    ranked as (
        select
            *,
            row_number() over (
                partition by indicator_id, dimension, period_type, period_end, admin_code
                order by gap_count asc, member_code asc
            ) as gap_rank,
            ? as run_id
        from fresh
    )

    select * from ranked"""


def make_dimension_views(con: duckdb.DuckDBPyConnection, indicators: list[Indicator]) -> list[str]:
    """One view per dimension, ``mart.drilldown_<dimension>`` (procedure, agency, school, ...)."""
    dimensions = sorted({d.dimension for i in indicators for d in i.dimensions})
    stale = con.execute(
        """select view_name from duckdb_views()
           where schema_name = 'mart' and starts_with(view_name, 'drilldown_')"""
    ).fetchall()
    for (view,) in stale:
        if view.removeprefix("drilldown_") not in dimensions:
            con.execute(f"drop view mart.{view}")  # a dimension no longer in the catalogue
    names = []
    for dim in dimensions:
        name = f"mart.drilldown_{dim}"
        con.execute(
            f"""create or replace view {name} as
                select * exclude (dimension) from mart.indicator_drilldown
                where dimension = '{dim}'"""
        )
        names.append(name)
    return names
