"""``mart.reconciliation``: our 766 variants beside the national portal's published figures.

For every metric of ``reconciliation.yml``, every month, quarter and year,
the province row of our indicator (the plan's area) and the portal's figure
for the province it publishes that area under (``core.fct_portal_metric``):
numerators, denominators, ratios, their difference in percentage points, and
a status with a plain reason:

- ``agrees``: the ratios differ by at most the tolerance (thresholds file);
- ``differs``: they differ by more, on the same area;
- ``scope_differs``: they differ by more, and the portal's province is larger
  than the plan's area (Cần Thơ, 92, from 1/7/2025): expected, not a warning;
- ``portal_missing``: the portal has no figure (or a null one) for it.

Pure SQL over tables already built; the flow calls ``build_reconciliation``
after the indicators.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from sources.national766.constants import PROVINCES
from warehouse.build import existing_tables, scalar
from warehouse.yaml_file import read_yaml

MAPPING = Path(__file__).with_name("reconciliation.yml")
DEFAULT_TOLERANCE = 0.5  # points; the shipped value is in expectations/thresholds/national766.yml
STATUSES = ("agrees", "differs", "scope_differs", "portal_missing")


@dataclass(frozen=True)
class Pairing:
    metric: str
    indicator: str
    plan: str
    scaled_by: str | None = None


def load_pairings(path: Path = MAPPING) -> list[Pairing]:
    entries = read_yaml(path) or []
    pairings = []
    for e in entries:
        unknown = set(e) - {"metric", "indicator", "plan", "scaled_by"}
        if unknown:
            raise ValueError(f"{path}: {e.get('metric')}: unknown key(s) {sorted(unknown)}")
        pairings.append(Pairing(**e))
    return pairings


EMPTY_PORTAL = """select * from (select
        null::varchar as province_code, null::varchar as province_name, null::varchar as time_type,
        null::date as period_start, null::date as period_end, null::varchar as group_code,
        null::varchar as metric_code, null::varchar as parent_code, null::varchar as metric_name,
        null::double as numerator, null::double as denominator, null::double as ratio,
        null::double as score, null::double as max_score, null::boolean as is_provisional,
        null::timestamp as updated_at) where false"""


def reconciliation_sql(
    pairings: list[Pairing], tolerance: float, portal: str = "select * from core.fct_portal_metric"
) -> str:
    pairs = " union all ".join(
        f"select '{p.metric}' as metric_code, '{p.indicator}' as indicator_id, "
        f"'{p.plan}' as plan_indicator_id, {repr(p.scaled_by) if p.scaled_by else 'null'} as scaled_by"
        for p in pairings
    )
    scopes = ", ".join(f"('{code}', '{scope}')" for code, _n, _s, _e, scope in PROVINCES)
    return f"""
create or replace table mart.reconciliation as
with

pairings as ({pairs}),

ours_all as (
    select indicator_id, period_type, period_start, period_end, period_label,
           numerator, denominator, value, status
    from mart.indicator_value
    where admin_level = 'province' and period_type in ('month', 'quarter', 'year')
        and period_start is not null and geo_view = 'as_it_was'  -- the plan's area, as it was
),

ours as (
    select p.metric_code, p.indicator_id, p.plan_indicator_id, p.scaled_by,
           o.period_type, o.period_start, o.period_end, o.period_label,
           o.numerator, o.denominator, o.status as our_status,
           case when p.scaled_by is null then o.value else o.value * s.value / 100 end as our_ratio
    from pairings as p
    join ours_all as o on o.indicator_id = p.indicator_id
    left join ours_all as s
        on s.indicator_id = p.scaled_by and s.period_type = o.period_type
        and s.period_start = o.period_start
),

portal as (
    select * from ({portal})
    where metric_code in (select metric_code from pairings)
),

scope as (
    select * from (values {scopes}) as t(province_code, scope)
),

joined as (
    select
        coalesce(o.metric_code, f.metric_code) as metric_code,
        coalesce(o.indicator_id, p.indicator_id) as indicator_id,
        coalesce(o.plan_indicator_id, p.plan_indicator_id) as plan_indicator_id,
        f.metric_name,
        coalesce(o.period_type, f.time_type) as period_type,
        coalesce(o.period_start, f.period_start) as period_start,
        coalesce(o.period_end, f.period_end) as period_end,
        o.period_label,
        f.province_code as portal_province_code,
        coalesce(sc.scope, case when f.province_code is not null then 'other' end) as portal_scope,
        o.numerator as our_numerator,
        o.denominator as our_denominator,
        round(o.our_ratio, 4) as our_ratio,
        o.our_status,
        f.numerator as portal_numerator,
        f.denominator as portal_denominator,
        f.ratio as portal_ratio,
        f.score as portal_score,
        f.max_score as portal_max_score,
        f.is_provisional as portal_provisional,
        f.updated_at as portal_updated_at
    from ours as o
    full join portal as f
        on f.metric_code = o.metric_code and f.time_type = o.period_type
        and f.period_start = o.period_start
    left join pairings as p on p.metric_code = f.metric_code
    left join scope as sc on sc.province_code = f.province_code
),

final as (
    select
        *,
        round(our_ratio - portal_ratio, 4) as difference,
        {tolerance} as tolerance,
        case
            when portal_ratio is null and our_ratio is null and portal_province_code is not null
                then 'agrees'
            when portal_ratio is null then 'portal_missing'
            when our_ratio is not null and abs(our_ratio - portal_ratio) <= {tolerance} then 'agrees'
            when portal_scope = 'same_area' then 'differs'
            else 'scope_differs'
        end as status,
        case
            when portal_ratio is null and our_ratio is null and portal_province_code is not null
                then 'neither has a value: nothing to count in this period'
            when portal_province_code is null
                then 'the national portal has published no figure for this metric and period'
            when portal_ratio is null
                then 'the national portal published this metric without a value (null: not evaluated)'
            when our_ratio is null
                then 'we have no value (nothing to count) where the portal publishes '
                     || portal_ratio || '%'
            when abs(our_ratio - portal_ratio) <= {tolerance}
                then 'ours ' || round(our_ratio, 2) || '% and the portal''s ' || portal_ratio
                     || '% agree within ' || {tolerance} || ' points'
                     || case when portal_provisional then ' (the portal''s figure is provisional)' else '' end
            else 'ours ' || round(our_ratio, 2) || '% (' || coalesce(cast(our_numerator as bigint), 0) || '/'
                 || coalesce(cast(our_denominator as bigint), 0) || ') against the portal''s '
                 || portal_ratio || '% (' || coalesce(cast(portal_numerator as varchar), 'null') || '/'
                 || coalesce(cast(portal_denominator as varchar), 'null') || '): '
                 || round(abs(our_ratio - portal_ratio), 2) || ' points apart, beyond the tolerance of '
                 || {tolerance}
                 || case when portal_scope = 'same_area' then ''
                         else '; the portal publishes province ' || portal_province_code
                              || ', which covers more than the plan''s area (the former Hậu Giang)'
                    end
                 || case when portal_provisional then '; the portal''s figure is provisional' else '' end
        end as reason
    from joined
)

select * from final
order by metric_code, period_type, period_start
"""


def build_reconciliation(
    con: duckdb.DuckDBPyConnection, tolerance: float, pairings: list[Pairing] | None = None
) -> int:
    """(Re)build ``mart.reconciliation``; the rows built. Without the portal's figures (the source
    never delivered, or is not run) every row of ours says ``portal_missing``."""
    present = existing_tables(con)
    portal = None if "core.fct_portal_metric" in present else EMPTY_PORTAL
    sql = reconciliation_sql(
        pairings or load_pairings(), float(tolerance), *([portal] if portal else [])
    )
    con.execute(sql)
    return int(scalar(con, "select count(*) from mart.reconciliation") or 0)
