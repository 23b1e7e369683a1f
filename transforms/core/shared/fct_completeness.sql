-- Completeness, as DHIS2 reports it: for each source and each period its
-- cadence expects an extract for, did the extract arrive, and on time?
-- "As of" is the latest delivery date the warehouse has seen from any source.
-- Files are province-wide extracts, so the unit is the province.
with

sources as (
    select * from ref.source
),

deliveries as (
    select source, period_start, period_end, file_date
    from meta.manifest as m
    join sources as s using (source)
    where m.dataset = s.tracked_dataset and m.status in ('loaded', 'duplicate')
        and m.period_start is not null
),

as_of as (
    select max(file_date) as as_of_date from meta.manifest where status = 'loaded'
),

first_period as (
    select source, min(period_start) as first_start from deliveries group by source
),

expected as (
    select
        s.source,
        cast(p as date) as period_start,
        cast(case s.cadence
            when 'daily' then p
            when 'monthly' then p + interval 1 month - interval 1 day
            when 'quarterly' then p + interval 3 month - interval 1 day
            else p + interval 12 month - interval 1 day
        end as date) as period_end,
        s.due_days
    from sources as s
    join first_period as f using (source)
    cross join as_of
    cross join lateral generate_series(
        f.first_start,
        as_of.as_of_date,
        case s.cadence
            when 'daily' then interval 1 day
            when 'monthly' then interval 1 month
            when 'quarterly' then interval 3 month
            else interval 12 month
        end
    ) as t(p)
),

matched as (
    select
        e.source,
        e.period_start,
        e.period_end,
        cast(e.period_end + e.due_days * interval 1 day as date) as due_date,
        min(d.file_date) as received_on,
        count(d.file_date) as n_files
    from expected as e
    left join deliveries as d
        on d.source = e.source and d.period_start <= e.period_end and d.period_end >= e.period_start
    group by all
),

final as (
    select
        m.source,
        -- the plan's area (its province row, admin_code 93, across the 2025 change)
        (
            select distinct plan_area_code from core.dim_unit
            where admin_level = 'province' and plan_area_code is not null
        ) as unit_code,
        m.period_start,
        m.period_end,
        m.due_date,
        m.received_on,
        m.n_files,
        case
            when m.n_files > 0 and m.received_on <= m.due_date then 'on_time'
            when m.n_files > 0 then 'late'
            when a.as_of_date <= m.due_date then 'pending'
            else 'missing'
        end as status
    from matched as m
    cross join as_of as a
)

select * from final
