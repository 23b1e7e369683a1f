-- The reporting periods an indicator is computed for: month, quarter, year and
-- year-to-date (January to the end of each month), for every month between the
-- first and the last extract the warehouse holds.
with

extracts as (
    select min(file_date) as first_day, max(file_date) as last_day
    from meta.manifest
    where status = 'loaded' and file_date is not null
),

months as (
    select cast(t.m as date) as month_start
    from extracts as e,
        generate_series(date_trunc('month', e.first_day), date_trunc('month', e.last_day), interval 1 month) as t (m)
),

periods as (
    select distinct 'month' as period_type, month_start as period_start,
        cast(month_start + interval 1 month - interval 1 day as date) as period_end
    from months
    union all
    select distinct
        'quarter' as period_type,
        cast(date_trunc('quarter', month_start) as date) as period_start,
        cast(date_trunc('quarter', month_start) + interval 3 month - interval 1 day as date) as period_end
    from months
    union all
    select distinct
        'year' as period_type,
        cast(date_trunc('year', month_start) as date) as period_start,
        cast(date_trunc('year', month_start) + interval 12 month - interval 1 day as date) as period_end
    from months
    union all
    select
        'ytd' as period_type,
        cast(date_trunc('year', month_start) as date) as period_start,
        cast(month_start + interval 1 month - interval 1 day as date) as period_end
    from months
),

final as (
    select
        period_type,
        period_start,
        period_end,
        case period_type
            when 'month' then strftime(period_start, '%Y-%m')
            when 'quarter' then strftime(period_start, '%Y') || '-Q' || quarter(period_start)
            when 'year' then strftime(period_start, '%Y')
            else 'YTD ' || strftime(period_end, '%Y-%m')
        end as period_label
    from periods
)

select * from final
