"""The indicator engine: catalogue definitions -> ``mart.indicator_value``.

For each indicator the numerator and denominator are aggregated from the rows
of its table at every level of the hierarchy (a row of a commune counts in
its commune, district and province; a row of a provincial department only in
the province) and for every period, then divided there. A unit with no
denominator gets a row with no value and the reason. An indicator whose
inputs failed a critical check keeps its last published values, marked
``blocked`` with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Literal

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from transforms.core import tables_read
from transforms.marts.history import record_history
from warehouse.build import scalar

Level = Literal["province", "district", "commune"]
PeriodType = Literal["month", "quarter", "year", "ytd"]
LEVELS: tuple[Level, ...] = ("province", "district", "commune")
PERIOD_TYPES: tuple[PeriodType, ...] = ("month", "quarter", "year", "ytd")
COMPARATORS = {">=": ">=", ">": ">", "<=": "<=", "<": "<"}

VALUE_COLUMNS = """
    indicator_id varchar, period_type varchar, period_start date, period_end date, period_label varchar,
    admin_level varchar, admin_code varchar, admin_name varchar,
    numerator double, denominator double, value double, target double, comparator varchar,
    unit varchar, met boolean, status varchar, status_reason varchar, run_id varchar, value_run_id varchar
"""


class CatalogueError(ValueError):
    """The catalogue has an entry the engine cannot compute (one line: file, entry, field)."""


class DrilldownSpec(BaseModel):
    """A dimension below the unit (procedure, agency, school, ...) the values are broken down by.

    ``column`` is a column of the indicator's rows; ``label`` names the member: a column of the
    rows, or ``<schema>.<table>.<column>`` looked up on ``key`` (default: the same column name).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    column: str = Field(min_length=1, description="the column of `from` the rows are grouped by")
    label: str | None = Field(
        None, description="the member's name: a column of `from`, or schema.table.column"
    )
    key: str | None = Field(None, description="the label table's key column (default: `column`)")
    from_: str | None = Field(
        None,
        alias="from",
        description="a finer table with the columns the definition reads, one row per member "
        "(default: the indicator's `from`); the same numerator and denominator are computed on it",
    )
    additive: bool = Field(
        True,
        description="the members add up to the unit (false: they overlap, e.g. operators "
        "serving the same address; each member's row is its own reach)",
    )


class Drilldown(BaseModel):
    """A drill-down dimension with its name (``mart.indicator_drilldown.dimension``)."""

    model_config = ConfigDict(frozen=True)

    dimension: str
    column: str
    label: str | None = None
    key: str | None = None
    from_: str | None = None
    additive: bool = True


Dimension = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


Comparator = Literal[">=", ">", "<=", "<"]
Sql = Annotated[str, Field(min_length=1)]


class Indicator(BaseModel):
    """One catalogue entry: an indicator's definition, as data (``catalogue/README.md``).

    The JSON Schema editors use (``catalogue/catalogue.schema.json``) is generated
    from this model: ``python -m transforms.marts.catalogue_schema``.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        title="Indicator",
        json_schema_extra={  # the cross-field rule, for editors too
            "if": {"properties": {"period_join": {"const": "flow"}}},
            "then": {
                "required": ["date_column"],
                "properties": {"date_column": {"type": "string"}},
            },
        },
    )

    id: str = Field(min_length=1, description="the plan's row (T01, R02, ...)")
    name_vi: str = Field(description="the plan's Vietnamese label")
    name_en: str = Field(description="an English reading of the label")
    target: float | None = Field(description="the plan's threshold (null: none)")
    comparator: Comparator = Field(description='">" is not met at the target')
    unit: str = Field(description="percent, rank, ...")
    source: str = Field(description="the source system (flows/registry.py name)")
    from_: Sql = Field(alias="from", description="the core table the rows come from")
    unit_column: str = Field(description="the column holding the unit a row belongs to")
    numerator: Sql = Field(description="aggregate SQL expression")
    denominator: Sql = Field(description="aggregate SQL expression")
    definition: str = Field(description="what is counted")
    reference: str = Field(description="the official text it follows")
    factor: float = Field(100, description="value = factor x numerator / denominator")
    period_join: Literal["flow", "stock"] = Field(
        "flow",
        description="flow: a row counts in the periods its date_column falls in; "
        "stock: every row is evaluated at each period's end",
    )
    date_column: str | None = Field(None, description="for flow indicators")
    where: str | None = Field(None, description="optional row filter (SQL)")
    periods: tuple[PeriodType, ...] = Field(
        PERIOD_TYPES, min_length=1, description="the period types the source supports"
    )
    levels: tuple[Level, ...] = Field(LEVELS, min_length=1, description="the levels computed")
    scorecard_period: PeriodType | None = Field(
        None, description="the scorecard's period type (default: ytd if computed, else the last)"
    )
    tables: tuple[str, ...] = Field((), description="further tables read (for lineage)")
    target_expr: str | None = Field(
        None,
        description="a target that depends on the data (e.g. keep or improve: last year's "
        "rank), aggregated like the numerator",
    )
    lower_is_better: bool = Field(False, description="ranks: a lower value is better")
    counted_en: str | None = Field(
        None,
        description="what the denominator counts, in plain words (finished dossiers): "
        "reasons and drill-down gaps are worded with it",
    )
    counted_vi: str | None = Field(None, description="the same in Vietnamese (hồ sơ đã giải quyết)")
    decimals: int | None = Field(
        None, ge=0, le=6, description="display rounding (default 1 for percent, 0 otherwise)"
    )
    drilldown: dict[Dimension, DrilldownSpec] = Field(
        default_factory=dict,
        description="dimensions below the unit to split numerator and denominator by "
        "(mart.indicator_drilldown)",
    )
    variant_of: str | None = Field(
        None,
        description="another reading of a plan target (e.g. the 766 dashboard's T02): computed, "
        "published and reconciled with the national portal, but not a row of the scorecard",
    )

    @model_validator(mode="after")
    def _flow_needs_date(self) -> Indicator:
        if self.period_join == "flow" and not self.date_column:
            raise ValueError("a flow indicator needs date_column")
        if self.drilldown and (self.target_expr or self.unit != "percent"):
            raise ValueError(
                "drill-downs split a percentage's numerator and denominator; "
                "not for ranks or data-dependent targets"
            )
        return self

    @property
    def dimensions(self) -> tuple[Drilldown, ...]:
        """The drill-down dimensions, in catalogue order."""
        return tuple(Drilldown(dimension=k, **v.model_dump()) for k, v in self.drilldown.items())

    @property
    def drilldown_inputs(self) -> set[str]:
        """Tables the drill-downs read beyond the definition's own (lineage, never blocking)."""
        return {d.from_ for d in self.dimensions if d.from_}

    @property
    def inputs(self) -> set[str]:
        """Every table the definition reads (for lineage and blocking)."""
        text = " ".join(
            filter(
                None, [self.from_, self.where, self.numerator, self.denominator, self.target_expr]
            )
        )
        return tables_read(text) | {self.from_} | set(self.tables) | {f"source:{self.source}"}

    @property
    def headline_period(self) -> str:
        return self.scorecard_period or ("ytd" if "ytd" in self.periods else self.periods[-1])

    @property
    def display_decimals(self) -> int:
        if self.decimals is not None:
            return self.decimals
        return 1 if self.unit == "percent" else 0

    @property
    def no_data_reason(self) -> str:
        """Why a unit and period has no value, in plain words."""
        return f"no {self.counted_en or 'rows to count'} in this unit and period"


def _problem(error: ErrorDetails) -> str:
    """One pydantic error as ``field 'x': what is wrong (got ...)``."""
    where = ".".join(str(p) for p in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"unknown catalogue key {where!r}"
    got = "" if error["type"] == "missing" else f" (got {error['input']!r})"
    msg = str(error["msg"]).removeprefix("Value error, ")
    return f"field {where!r}: {msg}{got}" if where else f"{msg}"


def parse_indicator(entry: object) -> Indicator:
    """One catalogue entry -> Indicator; a bad entry is one line naming the entry and field."""
    name = entry.get("id") if isinstance(entry, dict) else None
    try:
        return Indicator.model_validate(entry)
    except ValidationError as exc:
        problems = [_problem(e) for e in exc.errors()]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise CatalogueError(f"entry {name or '?'}: {problems[0]}{more}") from None


def load_catalogue(files: Iterable[Path]) -> list[Indicator]:
    """Every indicator of the catalogue ``files`` (one per source), sorted by id."""
    indicators: list[Indicator] = []
    for path in files:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if not isinstance(entries, list):
            raise CatalogueError(f"{path}: a catalogue file is a list of entries")
        for n, entry in enumerate(entries, 1):
            try:
                indicators.append(parse_indicator(entry))
            except CatalogueError as exc:
                raise CatalogueError(f"{path}: #{n} {exc}") from None
    ids = [i.id for i in indicators]
    if dupes := {i for i in ids if ids.count(i) > 1}:
        raise CatalogueError(f"duplicate indicator ids {sorted(dupes)} in the catalogue")
    return sorted(indicators, key=lambda i: i.id)


def _in_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def rows_sql(ind: Indicator) -> str:
    """The indicator's rows, one per row of its table and period it counts in (CTEs up to ``joined``).

    The one definition of which rows count where and when: the headline values
    (``indicator_sql``) and the drill-downs (``transforms.marts.drilldown``) both aggregate it.
    """
    join = (
        f"on b.{ind.date_column} between p.period_start and p.period_end"
        if ind.period_join == "flow"
        else "on true"
    )
    return f"""
with

base as (
    select f.*, u.province_code as _province, u.district_code as _district, u.commune_code as _commune
    from {ind.from_} as f
    join core.dim_unit as u on u.unit_code = f.{ind.unit_column}
    where {ind.where or "true"}
),

periods as (
    -- from the first period the source delivered for (no empty history before it)
    select * from core.dim_period
    where period_type in ({_in_list(ind.periods)})
      and period_end >= (
          select coalesce(min(period_start), date '1900-01-01') from meta.manifest
          where source = '{ind.source}' and status = 'loaded')
),

joined as (
    select p.period_type, p.period_start, p.period_end, b.*
    from base as b join periods as p {join}
)"""


def indicator_sql(ind: Indicator) -> str:
    """The query giving numerator and denominator per period and unit, every unit of its levels included."""
    return f"""{rows_sql(ind)},

aggregated as (
    select
        period_type, period_start, period_end,
        case when grouping(_commune) = 0 then _commune
             when grouping(_district) = 0 then _district else _province end as admin_code,
        cast({ind.numerator} as double) as numerator,
        cast({ind.denominator} as double) as denominator,
        cast({ind.target_expr or "null"} as double) as dynamic_target
    from joined
    group by grouping sets (
        (period_type, period_start, period_end, _province),
        (period_type, period_start, period_end, _province, _district),
        (period_type, period_start, period_end, _province, _district, _commune)
    )
),

grid as (
    select p.*, u.unit_code as admin_code, u.admin_level, u.unit_name as admin_name
    from periods as p cross join core.dim_unit as u
    where u.admin_level in ({_in_list(ind.levels)})
),

final as (
    select
        '{ind.id}' as indicator_id,
        g.period_type, g.period_start, g.period_end, g.period_label,
        g.admin_level, g.admin_code, g.admin_name,
        coalesce(a.numerator, 0) as numerator,
        coalesce(a.denominator, 0) as denominator,
        {"a.dynamic_target" if ind.target_expr else ("null" if ind.target is None else ind.target)} as target
    from grid as g
    left join aggregated as a
        on a.admin_code = g.admin_code and a.period_type = g.period_type and a.period_end = g.period_end
)

select * from final
"""


# the values as published: each unit's parent and validity, and the value rounded for display
PUBLISHED_VALUES_SQL = """
with

units as (
    select * from core.dim_unit
),

catalogue as (
    select indicator_id, display_decimals from mart.indicator_catalogue
),

final as (
    select
        v.*,
        round(v.value, c.display_decimals) as display_value,
        case v.admin_level when 'commune' then u.district_code
                           when 'district' then u.province_code end as parent_code,
        case v.admin_level when 'commune' then u.district_name
                           when 'district' then u.province_name end as parent_name,
        u.valid_from as unit_valid_from,
        u.valid_to as unit_valid_to
    from _values as v
    left join catalogue as c on c.indicator_id = v.indicator_id
    left join units as u on u.unit_code = v.admin_code
    -- a code reused by a later unit: the unit valid at the period's end
    qualify row_number() over (
        partition by v.indicator_id, v.period_type, v.period_end, v.admin_code
        order by (v.period_end between u.valid_from and coalesce(u.valid_to, date '9999-12-31')) desc nulls last
    ) = 1
)

select * from final
order by indicator_id, period_type, period_end, admin_level, admin_code
"""


def met_sql(comparator: str) -> str:
    """Exact comparison, no floating division: numerator x factor {op} target x denominator."""
    return (
        f"numerator * factor {COMPARATORS[comparator]} cast(target as decimal(38, 6)) * denominator"
    )


def compute_one(con: duckdb.DuckDBPyConnection, ind: Indicator, run_id: str) -> None:
    """Append the indicator's values to the temp table ``_values``."""
    con.execute(
        f"""
        insert into _values
        with raw as ({indicator_sql(ind)}),
        scored as (select *, {ind.factor} as factor from raw)
        select
            indicator_id, period_type, period_start, period_end, period_label,
            admin_level, admin_code, admin_name, numerator, denominator,
            case when denominator > 0 then factor * numerator / denominator end as value,
            target, '{ind.comparator}' as comparator, '{ind.unit}' as unit,
            case when denominator > 0 then {met_sql(ind.comparator)} end as met,
            case when denominator > 0 then 'ok' else 'no_data' end as status,
            case when denominator = 0 then ?
                 when target is null then 'no target to compare with (no earlier value)' end as status_reason,
            ? as run_id, ? as value_run_id
        from scored
        """,
        [ind.no_data_reason, run_id, run_id],
    )


def carry_blocked(
    con: duckdb.DuckDBPyConnection, ind: Indicator, reason: str, run_id: str, previous_exists: bool
) -> None:
    """Keep the last published values of a blocked indicator, marked blocked with the reason."""
    kept = 0
    if previous_exists:
        kept = scalar(
            con,
            """insert into _values
               select indicator_id, period_type, period_start, period_end, period_label, admin_level,
                      admin_code, admin_name, numerator, denominator, value, target, comparator, unit,
                      met, 'blocked', ?, ?, value_run_id
               from _previous where indicator_id = ?""",
            [reason, run_id, ind.id],
        )
    if not kept:
        placeholder(con, ind, "blocked", reason + " (no earlier value to keep)", run_id)


def placeholder(
    con: duckdb.DuckDBPyConnection, ind: Indicator, status: str, reason: str, run_id: str
) -> None:
    """One province row with no value, so the scorecard shows the indicator and why it has none."""
    con.execute(
        f"""insert into _values
            select '{ind.id}', '{ind.headline_period}', null, null, null, 'province', u.unit_code, u.unit_name,
                   null, null, null, {"null" if ind.target is None else ind.target}, '{ind.comparator}',
                   '{ind.unit}', null, ?, ?, ?, null
            from core.dim_unit as u where u.admin_level = 'province'""",
        [status, reason, run_id],
    )


def compute_indicators(
    con: duckdb.DuckDBPyConnection,
    indicators: list[Indicator],
    run_id: str,
    blocked: dict[str, str] | None = None,
) -> dict[str, int]:
    """Rebuild ``mart.indicator_value`` (and the catalogue table); return rows per indicator."""
    blocked = blocked or {}
    previous_exists = bool(
        scalar(
            con,
            "select count(*) from information_schema.tables where table_schema = 'mart' and table_name = 'indicator_value'",
        )
    )
    con.execute(f"create or replace temp table _values ({VALUE_COLUMNS})")
    if previous_exists:
        con.execute(
            "create or replace temp table _previous as select * from mart.indicator_value where period_start is not null"
        )
    present = {
        r[0]
        for r in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        ).fetchall()
    }
    for ind in indicators:
        if ind.id in blocked:
            carry_blocked(con, ind, blocked[ind.id], run_id, previous_exists)
        elif missing := sorted(
            t for t in ind.inputs if t not in present and not t.startswith("source:")
        ):
            placeholder(
                con,
                ind,
                "source_missing",
                f"no data from source {ind.source} yet ({', '.join(missing)} not built)",
                run_id,
            )
        else:
            compute_one(con, ind, run_id)
    con.execute(
        """update _values set status = 'invalid', met = null, value = null,
               status_reason = 'numerator ' || numerator || ' above denominator ' || denominator
                               || ' after aggregation: the inputs disagree; no value shown'
           where unit = 'percent' and status = 'ok' and numerator > denominator"""
    )
    if "core.fct_completeness" in present:
        for ind in indicators:
            mark_missing_source(con, ind)
    write_catalogue(con, indicators)
    con.execute(f"create or replace table mart.indicator_value as {PUBLISHED_VALUES_SQL}")
    record_history(con, run_id, "_previous" if previous_exists else None)
    return dict(con.execute("select indicator_id, count(*) from _values group by 1").fetchall())


def mark_missing_source(con: duckdb.DuckDBPyConnection, ind: Indicator) -> None:
    """Values of periods for which an expected extract of the source never came say so."""
    con.execute(
        """update _values as v set status = 'source_missing', status_reason =
               'expected extract(s) from ' || ? || ' missing for ' || (
                   select count(*) from core.fct_completeness as c
                   where c.source = ? and c.status = 'missing'
                     and c.period_start <= v.period_end and c.period_end >= v.period_start)
               || ' of its delivery periods in this period: the value may be stale or partial'
           where v.indicator_id = ? and v.status in ('ok', 'no_data') and exists (
               select 1 from core.fct_completeness as c
               where c.source = ? and c.status = 'missing'
                 and c.period_start <= v.period_end and c.period_end >= v.period_start)""",
        [ind.source, ind.source, ind.id, ind.source],
    )


# mart.indicator_catalogue: every field of a catalogue entry (column name, type, value)
CATALOGUE_COLUMNS: list[tuple[str, str, Callable[[Indicator], object]]] = [
    ("indicator_id", "varchar primary key", lambda i: i.id),
    ("name_vi", "varchar", lambda i: i.name_vi),
    ("name_en", "varchar", lambda i: i.name_en),
    ("target", "double", lambda i: i.target),
    ("target_expr", "varchar", lambda i: i.target_expr),
    ("comparator", "varchar", lambda i: i.comparator),
    ("lower_is_better", "boolean", lambda i: i.lower_is_better),
    ("unit", "varchar", lambda i: i.unit),
    ("factor", "double", lambda i: i.factor),
    ("decimals", "integer", lambda i: i.decimals),
    ("display_decimals", "integer", lambda i: i.display_decimals),
    ("source", "varchar", lambda i: i.source),
    ("from_table", "varchar", lambda i: i.from_),
    ("unit_column", "varchar", lambda i: i.unit_column),
    ("period_join", "varchar", lambda i: i.period_join),
    ("date_column", "varchar", lambda i: i.date_column),
    ("row_filter", "varchar", lambda i: i.where),
    ("numerator", "varchar", lambda i: i.numerator.strip()),
    ("denominator", "varchar", lambda i: i.denominator.strip()),
    ("counted_en", "varchar", lambda i: i.counted_en),
    ("counted_vi", "varchar", lambda i: i.counted_vi),
    ("periods", "varchar[]", lambda i: list(i.periods)),
    ("levels", "varchar[]", lambda i: list(i.levels)),
    ("headline_period", "varchar", lambda i: i.headline_period),
    ("scorecard_period", "varchar", lambda i: i.scorecard_period),
    ("tables", "varchar[]", lambda i: list(i.tables)),
    ("inputs", "varchar[]", lambda i: sorted(i.inputs)),
    (
        "drilldown",
        'struct(dimension varchar, "column" varchar, label varchar, "key" varchar, '
        '"from" varchar, additive boolean)[]',
        lambda i: [
            {
                "dimension": d.dimension,
                "column": d.column,
                "label": d.label,
                "key": d.key,
                "from": d.from_,
                "additive": d.additive,
            }
            for d in i.dimensions
        ],
    ),
    ("variant_of", "varchar", lambda i: i.variant_of),
    ("definition", "varchar", lambda i: i.definition.strip()),
    ("reference", "varchar", lambda i: i.reference.strip()),
]
# the model field each column carries (a test checks that none is left out)
CATALOGUE_FIELDS = {
    "id": "indicator_id",
    "from_": "from_table",
    "where": "row_filter",
}


def write_catalogue(con: duckdb.DuckDBPyConnection, indicators: list[Indicator]) -> None:
    """``mart.indicator_catalogue``: one row per indicator with every field of its entry."""
    columns = ", ".join(f'"{name}" {kind}' for name, kind, _ in CATALOGUE_COLUMNS)
    con.execute(f"create or replace table mart.indicator_catalogue ({columns})")
    if not indicators:
        return
    marks = ", ".join("?" for _ in CATALOGUE_COLUMNS)
    con.executemany(
        f"insert into mart.indicator_catalogue values ({marks})",
        [[value(i) for _, _, value in CATALOGUE_COLUMNS] for i in indicators],
    )
