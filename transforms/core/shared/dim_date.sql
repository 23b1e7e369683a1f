-- The calendar, one row per day.
with

days as (
    select cast(d as date) as date_day
    from generate_series(date '2020-01-01', date '2030-12-31', interval 1 day) as t(d)
),

final as (
    select
        date_day,
        year(date_day) as year,
        quarter(date_day) as quarter,
        month(date_day) as month,
        cast(date_trunc('month', date_day) as date) as month_start,
        cast(date_trunc('quarter', date_day) as date) as quarter_start,
        isodow(date_day) as iso_weekday,
        isodow(date_day) >= 6 as is_weekend
    from days
)

select * from final
