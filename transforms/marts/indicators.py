"""The indicator engine: catalogue definitions -> ``mart.indicator_value``.

For each indicator the numerator and denominator are aggregated from the rows
of its table at every level of the hierarchy (a row of a commune counts in
its commune, district and province; a row of a provincial department only in
the province) and for every period, then divided there. A unit with no
denominator gets a row with no value and the reason. An indicator whose
inputs failed a critical check keeps its last published values, marked
``blocked`` with the reason.

Geography over time: a row's unit is the unit with its code valid *as of* the date the
catalogue names (``as_of``). The province row (admin_code ``93``) is the plan's area (the
former Hậu Giang area) for every period; from 1/7/2025 it is the 28 new units formed from
it plus the city-level agencies' rows its ``area_column`` rule gives to it. Each value row
says which view it is in (``geo_view``): ``as_it_was`` (every unit in the periods it
existed), ``todays_units`` (periods straddling the change, old units mapped forward along
``ref.unit_crosswalk``) and ``former_district`` (periods from July, new units rolled up to
the former districts; ``exact`` false where a new unit spans two).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import duckdb
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from transforms.core import tables_read
from transforms.marts.additive import Additive, daily_ctes, split_additive
from transforms.marts.history import record_history
from warehouse.build import scalar, table_columns
from warehouse.delta import Change
from warehouse.yaml_file import read_yaml

Level = Literal["province", "district", "commune"]
PeriodType = Literal["month", "quarter", "year", "ytd"]
LEVELS: tuple[Level, ...] = ("province", "district", "commune")
PERIOD_TYPES: tuple[PeriodType, ...] = ("month", "quarter", "year", "ytd")
COMPARATORS = {">=": ">=", ">": ">", "<=": "<=", "<": "<"}

# the plan's area (plan_area_code of its units) and the day the 2025 geography took effect
PLAN_AREA = "93"
CHANGE_DATE = "2025-07-01"
AREA_NAME = "Hậu Giang (former area; in Cần Thơ from 1/7/2025)"
GEO_VIEWS = ("as_it_was", "todays_units", "former_district")
DEFAULT_AREA_RULE = (
    "city-level rows (agencies of the whole city, unit 92, from 1/7/2025) count wholly "
    "in the plan area's province row"
)

VALUE_COLUMNS = """
    indicator_id varchar, period_type varchar, period_start date, period_end date, period_label varchar,
    admin_level varchar, admin_code varchar, admin_name varchar,
    numerator double, denominator double, value double, target double, comparator varchar,
    unit varchar, met boolean, status varchar, status_reason varchar, run_id varchar, value_run_id varchar,
    geo_view varchar, exact boolean, unit_valid_from date
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

    as_of: str | None = Field(
        None,
        description="the date the row's unit is resolved at (a unit is a code and its validity) "
        "and, when `from` has valid_from/valid_to, the date its state rows must be valid on: "
        "`period_end` or a date column of `from` (default: date_column for flow, period_end "
        "for stock)",
    )
    area_column: str | None = Field(
        None,
        description="a column of `from` holding a unit code: a city-level row (agency of the "
        "whole city, from 1/7/2025) counts in the plan area's province row iff that code, "
        "resolved at as_of, is a unit of the plan area (without it: wholly)",
    )
    area_rule: str | None = Field(
        None,
        description="the rule by which city-level rows count in the plan area, in plain words "
        "(required with area_column)",
    )

    @model_validator(mode="after")
    def _flow_needs_date(self) -> Indicator:
        if self.period_join == "flow" and not self.date_column:
            raise ValueError("a flow indicator needs date_column")
        if self.area_column and not self.area_rule:
            raise ValueError("area_column needs area_rule (the rule in plain words)")
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
    def as_of_column(self) -> str:
        """The date a row's unit (and state) is taken at: ``period_end`` or a column of ``from``."""
        if self.as_of:
            return self.as_of
        return self.date_column if self.period_join == "flow" and self.date_column else "period_end"

    @property
    def area_rule_text(self) -> str:
        return self.area_rule or DEFAULT_AREA_RULE

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
        entries = read_yaml(path) or []
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


def _valid_at(alias: str, day: str) -> str:
    """``day`` falls in the validity of ``alias`` (valid_to inclusive, null = still valid)."""
    return f"{day} between {alias}.valid_from and coalesce({alias}.valid_to, date '9999-12-31')"


def _carried_sql(ind: Indicator, source: str, observed: bool, area: bool = True) -> str:
    """``source``'s rows with the key of their unit as of ``_as_of`` (``_unit_code``,
    ``_unit_from``), a state observed under the old geography carried forward.

    A state row whose code names no unit at ``_as_of`` but named one before (a register
    observed before 1/7/2025 and not re-sent since) counts in the successor: an old commune's
    row in the new unit it went into (ref.unit_crosswalk), an old district's or the province's
    row in the plan area's province row only, unless the row names the applicant's commune
    (the catalogue's ``area_column``): then in the new unit the applicant's old commune went
    into, so that the new units and the city's share sum to the area's row exactly.
    ``observed``: the row has ``valid_from``, and it
    must have begun before its code's old unit ended (an old code observed after the change:
    no unit).
    """
    col = ind.unit_column
    seen = "and r.valid_from <= uo.valid_to" if observed else ""
    # a district's row (no commune of its own) with the applicant's commune on it (the area
    # column): it goes where the applicant's old commune went, so the new units sum to the area
    applicant, by_applicant = "", ""
    if ind.area_column and area:
        applicant = "una.unit_code, "
        by_applicant = f"""
        left join core.dim_unit as ua
            on uo.unit_code is not null and uo.commune_code is null
            and ua.unit_code = r.{ind.area_column} and ua.commune_code is not null
            and ua.valid_to < r._as_of
        left join ref.unit_crosswalk as ca
            on ca.old_code = ua.commune_code and ua.valid_to < cast(ca.effective_date as date)
        left join core.dim_unit as una
            on una.unit_code = ca.new_code and {_valid_at("una", "r._as_of")}"""
    return f"""(
        select
            r.*,
            coalesce(u0.unit_code, un.unit_code, {applicant}uo.unit_code) as _unit_code,
            coalesce(u0.valid_from, un.valid_from, {applicant.replace("unit_code", "valid_from")}uo.valid_from) as _unit_from
        from {source} as r
        left join core.dim_unit as u0 on u0.unit_code = r.{col} and {_valid_at("u0", "r._as_of")}
        left join core.dim_unit as uo
            on u0.unit_code is null and uo.unit_code = r.{col}
            {seen} and uo.valid_to < r._as_of
        left join ref.unit_crosswalk as cf
            on cf.old_code = uo.commune_code and uo.valid_to < cast(cf.effective_date as date)
        left join core.dim_unit as un on un.unit_code = cf.new_code and {_valid_at("un", "r._as_of")}{by_applicant}
    )"""


def _resolved_sql(
    ind: Indicator, source: str, state: bool, area: bool = True, observed: bool = False
) -> str:
    """The rows of ``source`` (with ``_as_of``) each resolved to its unit as of ``_as_of``.

    Adds the roll-up keys: ``_province`` (the plan area, for every counted row), ``_district``
    and ``_commune`` with the validity start of the unit (``_district_from``, ``_commune_from``:
    a code alone does not name a unit), ``_today`` (the new unit an old commune's row maps
    forward to, or the new unit's own code) and ``_former`` (the former district a new unit's
    row rolls up to). Rows of units outside the plan area count in no row; a city-level row
    (a province-level unit outside the area, e.g. Cần Thơ's departments) counts in the
    province row by the catalogue's area rule. A state (``observed``: the table has
    ``valid_from``; or a stock taken at the period's end) observed under the old geography is
    carried forward to the successor unit (``_carried_sql``); so is a flow record whose unit
    ended before its ``as_of`` (received by a district PC in June, finished in July).
    """
    area_join = area_cond = ""
    if ind.area_column and not area:
        area_cond = "and false"
    elif ind.area_column:
        area_join = (
            f"left join core.dim_unit as au on au.unit_code = r.{ind.area_column} "
            f"and {_valid_at('au', 'r._as_of')}"
        )
        area_cond = f"and au.plan_area_code = '{PLAN_AREA}'"
    state_cond = f"and {_valid_at('r', 'r._as_of')}" if state else ""
    # a flow's code named a unit on the record's own date (staging checked it), but its as_of
    # may be later (a dossier received by a district in June, finished in July): such a row
    # counts in the successor the same way as a state observed before the change
    keys = resolution_keys(ind, state, area, observed)
    distinct = f"(select distinct {', '.join(keys)} from {source})"
    rows = _carried_sql(ind, distinct, observed, area)
    unit_join = (
        "join core.dim_unit as u on u.unit_code = r._unit_code and u.valid_from = r._unit_from"
    )
    on = " and ".join(f"k.{c} is not distinct from s.{c}" for c in keys)
    return f"""
    select s.*, {", ".join(f"k.{c}" for c in RESOLVED)}
    from {source} as s
    join ({_keys_resolved_sql(rows, unit_join, area_join, area_cond, state_cond)}) as k
      on {on}"""


def resolution_keys(
    ind: Indicator, state: bool, area: bool = True, observed: bool = False
) -> list[str]:
    """The columns a row's resolution depends on: its unit, the applicant's (the area column),
    the day it is read as of, and its own validity where that matters. Rows are resolved once
    per distinct key and the resolution joined back: 6.1M dossiers have 54k keys, and the
    joins on units' validity cost per row resolved (an indicator's counts per day at scale 8:
    0.39 s against 0.53 s; the indicators' build 8.5 s against 10.7 s)."""
    keys = [ind.unit_column]
    if ind.area_column and area:
        keys.append(ind.area_column)
    keys.append("_as_of")
    if observed or state:
        keys.append("valid_from")
    if state:
        keys.append("valid_to")
    return list(dict.fromkeys(keys))


def _keys_resolved_sql(
    rows: str, unit_join: str, area_join: str, area_cond: str, state_cond: str
) -> str:
    return f"""
    select
        r.*,
        '{PLAN_AREA}' as _province,
        -- a district that no longer exists at as_of (a row carried past 30/6/2025): province only
        case when du.unit_code is not null then u.district_code end as _district,
        du.valid_from as _district_from,
        u.commune_code as _commune,
        case when u.commune_code is not null then u.valid_from end as _commune_from,
        case when u.commune_code is null then null
             when cw.new_code is not null then cw.new_code
             when u.valid_from >= date '{CHANGE_DATE}' then u.commune_code end as _today,
        case when u.commune_code is not null and u.valid_from >= date '{CHANGE_DATE}'
             then fd.district_code end as _former
    from {rows} as r
    {unit_join}
    left join core.dim_unit as du on du.unit_code = u.district_code and {_valid_at("du", "r._as_of")}
    left join ref.unit_crosswalk as cw
        on cw.old_code = u.commune_code and u.valid_to < cast(cw.effective_date as date)
    left join _former_district as fd on fd.new_code = u.commune_code
    {area_join}
    where (u.plan_area_code = '{PLAN_AREA}'
           or (u.admin_level = 'province' and u.plan_area_code is null {area_cond}))
        {state_cond}"""


@dataclass(frozen=True)
class Reading:
    """How the SQL reads an indicator's table (``shape`` tells from its columns) and which
    periods it computes.

    ``state``: the table has ``valid_from``/``valid_to`` (state as history); only the rows
    valid as of ``as_of`` count. ``area``: the table has the catalogue's ``area_column`` (a
    table built before it existed: no city-level row can be placed in the area, none counts).
    ``observed``: the table has ``valid_from``: a state row observed before the change and not
    re-observed since counts in its successor unit. ``scoped``: only the periods listed for
    the indicator in the temp table ``_scope`` (a night computing again what changed, see
    ``transforms.marts.scope``).
    """

    state: bool = False
    area: bool = True
    observed: bool = False
    scoped: bool = False


WHOLE = Reading()


def rows_sql(ind: Indicator, how: Reading = WHOLE, source: str | None = None) -> str:
    """The indicator's rows, one per row of its table and period it counts in (CTEs up to ``joined``).

    The one definition of which rows count where and when: the headline values
    (``indicator_sql``) and the drill-downs (``transforms.marts.drilldown``) both aggregate it,
    read as ``how`` says. ``source``: rows to read instead of its table's (a table, or a query in
    brackets, with its columns: the rows a night changed, ``transforms.marts.daily``).
    """
    state, area, observed, scoped = how.state, how.area, how.observed, how.scoped
    join = (
        f"on b.{ind.date_column} between p.period_start and p.period_end"
        if ind.period_join == "flow"
        else "on true"
    )
    if ind.as_of_column == "period_end":
        # the state as of each period's end: resolve after the period join
        rows = f"""
stamped as not materialized (  -- read twice: its units' keys, then its rows
    select p.period_type, p.period_start, p.period_end, b.*, p._state_day as _as_of
    from base as b join periods as p {join}
),

joined as ({_resolved_sql(ind, "stamped", state, area, observed)}
)"""
    else:
        # the state as of a date of the row: resolve each row once, then join the periods
        rows = f"""
stamped as not materialized (  -- read twice: its units' keys, then its rows
    select b.*, cast(b.{ind.as_of_column} as date) as _as_of from base as b
),

resolved as ({_resolved_sql(ind, "stamped", state, area, observed)}
),

joined as (
    select p.period_type, p.period_start, p.period_end, b.*
    from resolved as b join periods as p {join}
)"""
    return f"""
with

base as (
    select f.* from {source or ind.from_} as f
    where {ind.where or "true"}{_scoped_rows(ind) if scoped else ""}
),

{periods_ctes(ind, scoped)},

{FORMER_DISTRICT_CTES},
{rows}"""


def periods_ctes(ind: Indicator, scoped: bool = False) -> str:
    """The ``delivered`` and ``periods`` CTEs: the periods the indicator is computed for."""
    scope = (
        f"""
      and exists (select 1 from _scope as s where s.indicator_id = '{ind.id}'
                  and s.period_type = d.period_type and s.period_start = d.period_start
                  and s.period_end = d.period_end)"""
        if scoped
        else ""
    )
    return f"""delivered as (
    select min(period_start) as first_start, max(period_end) as last_end from meta.manifest
    where source = '{ind.source}' and status = 'loaded'
),

periods as (
    -- from the first period the source delivered for (no empty history before it); a state is
    -- taken at the period's end, or at the end of the latest delivery while the period runs
    select d.*, least(d.period_end, coalesce(x.last_end, d.period_end)) as _state_day
    from core.dim_period as d cross join delivered as x
    where d.period_type in ({_in_list(ind.periods)})
      and d.period_end >= coalesce(x.first_start, date '1900-01-01'){scope}
)"""


def _scoped_rows(ind: Indicator) -> str:
    """A flow indicator's rows narrowed to the span of its scoped periods (cheap pruning)."""
    if ind.period_join != "flow" or not ind.date_column:
        return ""
    return f"""
      and f.{ind.date_column} between
          (select min(period_start) from _scope where indicator_id = '{ind.id}')
          and (select max(period_end) from _scope where indicator_id = '{ind.id}')"""


# each new unit of the plan area -> the former district holding most of its old units (tie:
# the lowest code); ``exact`` false for a district touched by a new unit spanning two
FORMER_DISTRICT_CTES = """
_crosswalk_counts as (
    select new_code, old_district_code, count(*) as n_old
    from ref.unit_crosswalk
    group by new_code, old_district_code
),

_split as (
    select new_code from _crosswalk_counts group by new_code having count(*) > 1
),

_former_district as (
    select new_code, old_district_code as district_code
    from _crosswalk_counts
    qualify row_number() over (partition by new_code order by n_old desc, old_district_code) = 1
),

_district_exact as (
    select
        c.old_district_code as district_code,
        bool_and(s.new_code is null) as exact,
        string_agg(distinct s.new_code, ', ' order by s.new_code) as split_units
    from _crosswalk_counts as c
    left join _split as s using (new_code)
    group by c.old_district_code
)"""


def _overlaps(ind: Indicator) -> str:
    """A unit gets rows for the periods it existed in (a stock: valid at the period's end)."""
    if ind.period_join == "stock" and ind.as_of_column == "period_end":
        return _valid_at("u", "p._state_day")
    return (
        "u.valid_from <= p.period_end and coalesce(u.valid_to, date '9999-12-31') >= p.period_start"
    )


# the unit columns the headline values are grouped by (``_resolved_sql``)
UNIT_KEYS = [
    "_province",
    "_district",
    "_district_from",
    "_commune",
    "_commune_from",
    "_today",
    "_former",
]
# what resolving a row adds to it (``_resolved_sql``): its unit's key, then those columns
RESOLVED = ("_unit_code", "_unit_from", *UNIT_KEYS)


def daily_parts(ind: Indicator) -> Additive | None:
    """The partial counts of a flow indicator whose rows are resolved before the period join
    and whose measures are sums of counts; None: aggregated from the rows."""
    if ind.period_join != "flow" or not ind.date_column or ind.as_of_column == "period_end":
        return None
    measures = [ind.numerator, ind.denominator] + ([ind.target_expr] if ind.target_expr else [])
    return split_additive(measures)


def indicator_sql(ind: Indicator, how: Reading = WHOLE, daily: str | None = None) -> str:
    """Numerator and denominator per period, view and unit, every unit of its levels included.

    ``as_it_was``: province (the plan area), districts and communes in the periods they
    existed. ``todays_units``: periods straddling the change, province and the new units,
    old communes' rows mapped forward. ``former_district``: periods from the change, the new
    units' rows rolled up to the former districts.

    ``daily``: a table holding the indicator's partial counts per day and unit already
    (``transforms.marts.daily``), aggregated instead of its rows.
    """
    levels = set(ind.levels)
    straddles = f"p.period_start < date '{CHANGE_DATE}' and p.period_end >= date '{CHANGE_DATE}'"
    after = f"p.period_start >= date '{CHANGE_DATE}'"
    today_sets = [
        "(period_type, period_start, period_end, _province)" if "province" in levels else "",
        "(period_type, period_start, period_end, _province, _today)" if "commune" in levels else "",
    ]
    today_sets = [t for t in today_sets if t] or [
        "(period_type, period_start, period_end, _province)"
    ]
    by_today = "commune" in levels
    today_code = (
        "case when grouping(_today) = 0 then _today else _province end" if by_today else "_province"
    )
    today_from = (
        f"case when grouping(_today) = 0 then date '{CHANGE_DATE}' end"
        if by_today
        else "cast(null as date)"
    )
    numerator, denominator, target = ind.numerator, ind.denominator, ind.target_expr or "null"
    rows, daily_cte = "joined", ""
    parts = daily_parts(ind)
    if parts is not None:  # counted per day and unit first (``transforms.marts.additive``)
        numerator, denominator, *rest = parts.rewritten
        target = rest[0] if rest else "null"
        rows = "_daily_joined"
        daily_cte = "," + daily_ctes("resolved", UNIT_KEYS, str(ind.date_column), parts, daily)
    elif daily is not None:
        raise ValueError(f"{ind.id} is not counted per day: it has no partial counts to read")
    aggregate = f"""
        cast({numerator} as double) as numerator,
        cast({denominator} as double) as denominator,
        cast({target} as double) as dynamic_target"""
    return f"""{rows_sql(ind, how)}{daily_cte},

as_it_was as (
    select
        'as_it_was' as geo_view, period_type, period_start, period_end,
        case when grouping(_commune) = 0 then _commune
             when grouping(_district) = 0 then _district else _province end as admin_code,
        case when grouping(_commune) = 0 then _commune_from
             when grouping(_district) = 0 then _district_from end as unit_from,{aggregate}
    from {rows}
    group by grouping sets (
        (period_type, period_start, period_end, _province),
        (period_type, period_start, period_end, _province, _district, _district_from),
        (period_type, period_start, period_end, _province, _district, _district_from, _commune, _commune_from)
    )
),

todays_units as (
    select
        'todays_units' as geo_view, period_type, period_start, period_end,
        {today_code} as admin_code,
        {today_from} as unit_from,{aggregate}
    from {rows} as p
    where {straddles}
    group by grouping sets ({", ".join(today_sets)})
),

former_district as (
    select
        'former_district' as geo_view, period_type, period_start, period_end,
        _former as admin_code,
        cast(null as date) as unit_from,{aggregate}
    from {rows} as p
    where {after} and _former is not null and {"true" if "district" in levels else "false"}
    group by period_type, period_start, period_end, _former
),

aggregated as (
    select * from as_it_was where admin_code is not null
    union all
    select * from todays_units where admin_code is not null
    union all
    select * from former_district
),

area as (
    select valid_from from core.dim_unit
    where unit_code = '{PLAN_AREA}' and admin_level = 'province'
    order by valid_from limit 1
),

grid as (
    -- the plan area's province row, every period
    select 'as_it_was' as geo_view, p.*, '{PLAN_AREA}' as admin_code, 'province' as admin_level,
           '{AREA_NAME}' as admin_name,
           cast(null as date) as unit_from, a.valid_from as unit_valid_from
    from periods as p cross join area as a
    where {"true" if "province" in levels else "false"}
    union all
    -- districts and communes of the area in the periods they existed
    select 'as_it_was', p.*, u.unit_code, u.admin_level, u.unit_name, u.valid_from, u.valid_from
    from periods as p join core.dim_unit as u
        on u.plan_area_code = '{PLAN_AREA}' and u.admin_level in ({_in_list(ind.levels)})
        and u.admin_level <> 'province' and {_overlaps(ind)}
    union all
    -- periods straddling the change, in today's units: the province and the new units
    select 'todays_units', p.*, '{PLAN_AREA}', 'province', '{AREA_NAME}', null, a.valid_from
    from periods as p cross join area as a
    where {straddles} and {"true" if "province" in levels else "false"}
    union all
    select 'todays_units', p.*, u.unit_code, u.admin_level, u.unit_name, u.valid_from, u.valid_from
    from periods as p join core.dim_unit as u
        on u.plan_area_code = '{PLAN_AREA}' and u.admin_level = 'commune'
        and u.valid_from >= date '{CHANGE_DATE}' and {_valid_at("u", "p.period_end")}
    where {straddles} and {"true" if "commune" in levels else "false"}
    union all
    -- periods from the change: the new units rolled up to the former districts
    select 'former_district', p.*, u.unit_code, u.admin_level, u.unit_name || ' (former district)',
           null, u.valid_from
    from periods as p join core.dim_unit as u
        on u.plan_area_code = '{PLAN_AREA}' and u.admin_level = 'district'
    where {after} and {"true" if "district" in levels else "false"}
),

final as (
    select
        '{ind.id}' as indicator_id,
        g.period_type, g.period_start, g.period_end, g.period_label,
        g.admin_level, g.admin_code, g.admin_name,
        coalesce(a.numerator, 0) as numerator,
        coalesce(a.denominator, 0) as denominator,
        {"a.dynamic_target" if ind.target_expr else ("null" if ind.target is None else ind.target)} as target,
        g.geo_view,
        case when g.geo_view = 'former_district' then e.exact else true end as exact,
        e.split_units,
        g.unit_valid_from
    from grid as g
    left join aggregated as a
        on a.geo_view = g.geo_view and a.admin_code = g.admin_code
        and a.unit_from is not distinct from g.unit_from
        and a.period_type = g.period_type and a.period_end = g.period_end
    left join _district_exact as e
        on g.geo_view = 'former_district' and e.district_code = g.admin_code
)

select * from final
"""


# the values as published: each unit's parent and validity (the unit of the row's code whose
# validity starts at unit_valid_from: codes are reused), and the value rounded for display
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
        v.* exclude (unit_valid_from, geo_view, exact),
        v.geo_view,
        v.exact,
        round(v.value, c.display_decimals) as display_value,
        case when v.admin_level = 'commune' then coalesce(u.district_code, '{PLAN_AREA}')
             when v.admin_level = 'district' then '{PLAN_AREA}' end as parent_code,
        case when v.admin_level = 'commune' and u.district_code is not null then u.district_name
             when v.admin_level in ('commune', 'district') then area.admin_name end as parent_name,
        v.unit_valid_from,
        -- the province row is the plan's area: it has no end
        case when v.admin_level <> 'province' then u.valid_to end as unit_valid_to
    from _values as v
    left join catalogue as c on c.indicator_id = v.indicator_id
    left join units as u on u.unit_code = v.admin_code and u.valid_from = v.unit_valid_from
    left join _values as area
        on area.indicator_id = v.indicator_id and area.geo_view = 'as_it_was'
        and area.period_type = v.period_type and area.period_end = v.period_end
        and area.admin_level = 'province'
)

select * from final
order by indicator_id, period_type, period_end, geo_view, admin_level, admin_code, unit_valid_from
""".replace("{PLAN_AREA}", PLAN_AREA)


INEXACT_REASON = (
    "former district not exact: new unit(s) ",
    " take communes of two former districts; each new unit is counted whole in the former "
    "district holding most of its old units (a tie: the lowest district code)",
)


def met_sql(comparator: str) -> str:
    """Exact comparison, no floating division: numerator x factor {op} target x denominator."""
    return (
        f"numerator * factor {COMPARATORS[comparator]} cast(target as decimal(38, 6)) * denominator"
    )


def shape(ind: Indicator, columns: frozenset[str], scoped: bool = False) -> Reading:
    """How ``rows_sql`` reads the indicator's table: ``state`` (it has valid_from/valid_to),
    ``area`` (it has the area column; without it no city-level row counts) and ``observed``
    (it has valid_from: a state observed under the old geography is carried forward)."""
    return Reading(
        state={"valid_from", "valid_to"} <= columns,
        area=not ind.area_column or ind.area_column in columns,
        observed="valid_from" in columns,
        scoped=scoped,
    )


def compute_one(
    con: duckdb.DuckDBPyConnection,
    ind: Indicator,
    run_id: str,
    how: Reading = WHOLE,
    change: Change | None = None,
    together: Mapping[str, str] | None = None,
) -> bool:
    """Append the indicator's values (of its ``_scope`` periods if ``how.scoped``) to ``_values``;
    True if its partial counts per day were kept (``transforms.marts.daily``: ``change`` is what
    the night did to its table, by which kept counts are moved; ``together``: counts made
    already, ``transforms.marts.together``)."""
    from transforms.marts.daily import COUNTED, Counts, count_days, counts_per_day, store_days

    parts = counts_per_day(con, ind)
    if parts is not None:
        count_days(con, Counts(ind, parts), how, run_id, change, together)
    con.execute(
        f"""
        insert into _values
        with raw as ({indicator_sql(ind, how, COUNTED if parts is not None else None)}),
        scored as (select *, {ind.factor} as factor from raw)
        select
            indicator_id, period_type, period_start, period_end, period_label,
            admin_level, admin_code, admin_name, numerator, denominator,
            case when denominator > 0 then factor * numerator / denominator end as value,
            target, '{ind.comparator}' as comparator, '{ind.unit}' as unit,
            case when denominator > 0 then {met_sql(ind.comparator)} end as met,
            case when denominator > 0 then 'ok' else 'no_data' end as status,
            concat_ws('; ',
                case when denominator = 0 then ?
                     when target is null then 'no target to compare with (no earlier value)' end,
                case when not exact then ? || split_units || ? end
            ) as status_reason,
            ? as run_id, ? as value_run_id, geo_view, exact, unit_valid_from
        from scored
        """,
        [ind.no_data_reason, INEXACT_REASON[0], INEXACT_REASON[1], run_id, run_id],
    )
    con.execute(
        """update _values set status_reason = concat_ws('; ', nullif(status_reason, ''),
               'the unit existed until ' || u.valid_to || ': its part of the period only')
           from core.dim_unit as u
           where _values.indicator_id = ? and u.unit_code = _values.admin_code
             and u.valid_from = _values.unit_valid_from and u.valid_to < _values.period_end
             and _values.geo_view = 'as_it_was' and _values.admin_level <> 'province'""",
        [ind.id],
    )
    con.execute(
        "update _values set status_reason = null where indicator_id = ? and status_reason = ''",
        [ind.id],
    )
    if parts is None:
        return False
    store_days(con, Counts(ind, parts), run_id)
    return True


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
                      met, 'blocked', ?, ?, value_run_id, geo_view, exact, unit_valid_from
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
                   '{ind.unit}', null, ?, ?, ?, null, 'as_it_was', true, u.valid_from
            from core.dim_unit as u where u.admin_level = 'province' and u.unit_code = '{PLAN_AREA}'
            order by u.valid_from limit 1""",
        [status, reason, run_id],
    )


def compute_indicators(
    con: duckdb.DuckDBPyConnection,
    indicators: list[Indicator],
    run_id: str,
    blocked: dict[str, str] | None = None,
    changes: dict[str, Change] | None = None,
    together: Mapping[str, str] | None = None,
) -> dict[str, int]:
    """Rebuild ``mart.indicator_value`` (and the catalogue table); return rows per indicator.

    ``changes``: what an incremental core step did to each table; an indicator whose rows
    moved only with merged keys is computed for the periods they touch and keeps its other
    published rows (``transforms.marts.scope``). None: every indicator computed whole.
    ``together``: partial counts per day made already (``transforms.marts.together``)."""
    from transforms.marts.daily import forget_others
    from transforms.marts.scope import keep_values, scoped_indicators

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
        # values published before the views existed are the as-it-was view
        for column, kind, default in [
            ("geo_view", "varchar", "'as_it_was'"),
            ("exact", "boolean", "true"),
            ("unit_valid_from", "date", "null"),
        ]:
            con.execute(
                f"alter table _previous add column if not exists {column} {kind} default {default}"
            )
    present = {
        r[0]
        for r in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        ).fetchall()
    }
    scoped = scoped_indicators(
        con,
        [i for i in indicators if i.id not in blocked],
        changes or {},
        "_previous" if previous_exists else None,
    )
    counted: set[str] = set()  # indicators whose partial counts per day are kept
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
            columns = table_columns(con, ind.from_)
            how = shape(ind, columns, scoped=ind.id in scoped)
            if compute_one(con, ind, run_id, how, (changes or {}).get(ind.from_), together):
                counted.add(ind.id)
            if ind.id in scoped:  # after compute_one: its updates are for computed rows only
                keep_values(con, ind, run_id)
    con.execute(
        """update _values set status = 'invalid', met = null, value = null,
               status_reason = 'numerator ' || numerator || ' above denominator ' || denominator
                               || ' after aggregation: the inputs disagree; no value shown'
           where unit = 'percent' and status = 'ok' and numerator > denominator"""
    )
    if "core.fct_completeness" in present:
        for ind in indicators:
            mark_missing_source(con, ind)
    forget_others(con, counted)
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
    ("as_of", "varchar", lambda i: i.as_of_column),
    ("area_column", "varchar", lambda i: i.area_column),
    ("area_rule", "varchar", lambda i: i.area_rule_text),
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
