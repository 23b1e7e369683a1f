-- Views analysts read, over mart.indicator_value and the audit tables.

-- Each indicator against its target for the latest headline period
-- (year-to-date where the source allows), province and every district,
-- with the gap to the target and the change since the previous period.
-- Geography view 'as_it_was' (geo_view): the province row is the plan's area (the former
-- Hậu Giang area, in Cần Thơ from 1/7/2025) for every period; a district counts the part
-- of the period it existed in (through 30/6/2025). The other views are in
-- mart.indicator_value (todays_units, former_district).
create or replace view mart.scorecard as
with

catalogue as (
    select * from mart.indicator_catalogue
),

values_with_previous as (
    select
        v.*,
        lag(v.value) over (
            partition by v.indicator_id, v.period_type, v.admin_code order by v.period_end
        ) as previous_value
    from mart.indicator_value as v
    where v.geo_view = 'as_it_was'
),

headline as (
    select v.*, c.name_en, c.name_vi, c.lower_is_better
    from values_with_previous as v
    join catalogue as c on c.indicator_id = v.indicator_id
    where v.admin_level in ('province', 'district')
        and (v.period_type = c.headline_period or v.period_start is null)
        and c.variant_of is null  -- other readings of a target (766) are beside it, not rows
),

-- the national portal's figure beside ours: the latest month it published for the target
portal as (
    select
        plan_indicator_id as indicator_id,
        period_label || ' 766: ours ' || coalesce(cast(round(our_ratio, 2) as varchar), '-')
        || ' / portal ' || coalesce(cast(portal_ratio as varchar), '-') as portal_766,
        status as portal_766_status
    from mart.reconciliation
    where period_type = 'month' and status <> 'portal_missing'
    qualify row_number() over (partition by plan_indicator_id order by period_start desc) = 1
),

-- the latest headline period with a value at province level; else the latest there is
chosen as (
    select indicator_id,
        coalesce(
            max(period_end) filter (where admin_level = 'province' and value is not null),
            max(period_end)
        ) as period_end
    from headline
    group by indicator_id
),

latest as (
    select h.*
    from headline as h
    join chosen as c
        on c.indicator_id = h.indicator_id and c.period_end is not distinct from h.period_end
),

final as (
    select
        indicator_id,
        name_en,
        name_vi,
        period_label,
        period_end,
        admin_level,
        admin_code,
        admin_name,
        round(value, 2) as value,
        target,
        comparator,
        met,
        -- how far ahead of the target (negative: behind), whichever way is better
        round(case when lower_is_better then target - value else value - target end, 2) as gap,
        round(value - previous_value, 2) as change,
        status,
        status_reason,
        geo_view,
        unit_valid_from,
        unit_valid_to,
        case when admin_level = 'province' then portal_766 end as portal_766,
        case when admin_level = 'province' then portal_766_status end as portal_766_status
    from latest
    left join portal using (indicator_id)
)

select * from final
order by indicator_id asc, admin_level desc, admin_code asc;

-- The latest result of every check.
create or replace view mart.check_result_latest as
select *
from audit.check_result
where run_id = (select c.run_id from audit.check_result as c order by c.checked_at desc limit 1);

-- Quarantined rows by source, dataset, rule and reason.
create or replace view mart.quarantine_summary as
select source, dataset, rule, status, count(*) as n_rows, count(distinct file_id) as n_files,
       min(reason) as example_reason
from audit.quarantine
group by all
order by n_rows desc;

-- Which indicator values are blocked, and why.
create or replace view mart.blocked_indicator as
select indicator_id, any_value(status_reason) as reason, count(*) as n_values_kept,
       max(period_end) as latest_period_kept, any_value(value_run_id) as value_from_run
from mart.indicator_value
where status = 'blocked'
group by indicator_id;

-- Every file taken, with its row balance: read = loaded + quarantined + duplicate.
create or replace view mart.file_balance as
select source, dataset, name, status, rows_read, rows_loaded, rows_quarantined, rows_duplicate,
       rows_read = rows_loaded + rows_quarantined + rows_duplicate as balanced, error, run_id, loaded_at
from meta.manifest
order by source, dataset, name;
