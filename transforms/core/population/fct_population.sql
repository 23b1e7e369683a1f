-- Residents and adults (18+) of each commune, one row per commune and span of
-- days over which the population database's quarterly extracts showed the same
-- counts (valid_from .. valid_to, inclusive; valid_to null = still valid): a
-- row shown by extracts d1..dn (cut-off days) is valid from d1 to the day
-- before the first later extract that drops the commune or counts it
-- differently. The earliest extract also stands for the days before it
-- (valid_from 2000-01-01). A band re-sent for the same cut-off day replaces the
-- earlier delivery (the source's way to correct an extract: the correction
-- holds from that cut-off day, as the extract it corrects did).
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
        coalesce(sum(residents) filter (where is_adult), 0) as adults,
        coalesce(sum(residents) filter (where not is_adult), 0) as minors,
        count(*) as n_bands
    from latest_bands
    group by unit_code, snapshot_date
),

extracts as (
    select
        snapshot_date,
        row_number() over (order by snapshot_date) as n,
        lead(snapshot_date) over (order by snapshot_date) as next_snapshot_date
    from (select distinct snapshot_date from by_commune) as days
),

starts as (
    select
        c.*,
        e.n,
        e.next_snapshot_date,
        case when lag(e.n) over by_unit = e.n - 1
            and lag(c.residents) over by_unit = c.residents
            and lag(c.adults) over by_unit = c.adults
            and lag(c.n_bands) over by_unit = c.n_bands
            then 0 else 1 end as is_start
    from by_commune as c
    join extracts as e using (snapshot_date)
    window by_unit as (partition by c.unit_code order by e.n)
),

islands as (
    select
        *,
        sum(is_start) over (partition by unit_code order by n rows unbounded preceding) as island
    from starts
),

final as (
    select
        unit_code,
        min(snapshot_date) as snapshot_date,
        arg_max_null(residents, n) as residents,
        arg_max_null(adults, n) as adults,
        arg_max_null(minors, n) as minors,
        arg_max_null(n_bands, n) as n_bands,
        case when min(n) = 1 then date '2000-01-01' else min(snapshot_date) end as valid_from,
        cast(arg_max_null(next_snapshot_date, n) - interval 1 day as date) as valid_to
    from islands
    group by unit_code, island
)

select * from final
