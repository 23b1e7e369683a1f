-- Residents and adults (18+) of each commune at each cut-off day of the
-- population database's quarterly extract, with the days each extract stands
-- for: from its cut-off day until the day before the next one (the earliest
-- extract also stands for the days before it; the latest until further notice).
-- A band re-sent for the same cut-off day replaces the earlier delivery.
with

bands as (
    select * from stg.population_age_band
),

latest_bands as (
    select * from bands
    qualify row_number() over (
        partition by unit_code, snapshot_date, age_band order by _file_date desc, _file_id desc, _row desc
    ) = 1
),

by_commune as (
    select
        unit_code,
        snapshot_date,
        sum(residents) as residents,
        sum(residents) filter (where is_adult) as adults,
        sum(residents) filter (where not is_adult) as minors,
        count(*) as n_bands
    from latest_bands
    group by unit_code, snapshot_date
),

with_validity as (
    select
        *,
        lead(snapshot_date) over (partition by unit_code order by snapshot_date) as next_snapshot_date,
        row_number() over (partition by unit_code order by snapshot_date) = 1 as is_earliest
    from by_commune
),

final as (
    select
        unit_code,
        snapshot_date,
        residents,
        coalesce(adults, 0) as adults,
        coalesce(minors, 0) as minors,
        n_bands,
        case when is_earliest then date '2000-01-01' else snapshot_date end as applies_from,
        coalesce(cast(next_snapshot_date - interval 1 day as date), date '9999-12-31') as applies_to
    from with_validity
)

select * from final
