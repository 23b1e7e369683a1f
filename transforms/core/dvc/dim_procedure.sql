-- The national procedure catalogue as history: one row per procedure and span
-- of days over which the catalogue snapshots showed it unchanged (valid_from ..
-- valid_to, inclusive; valid_to null = still valid). A row shown by snapshots
-- d1..dn is valid from d1 to the day before the first later snapshot that no
-- longer shows it or shows it changed. The earliest snapshot also answers for
-- the days before it (valid_from 2000-01-01), as the catalogue did when only its
-- latest snapshot was kept. A snapshot re-sent byte for byte on a later day is
-- an observation of that day (a catalogue reverted takes effect from then).
-- bookkeeping: last_snapshot_date (the last snapshot that showed the row moves with every snapshot; no model reads it)
with

snapshots as (
    select * from stg.dvc_procedure
),

-- one row per procedure and snapshot day (a procedure listed twice that day: merged)
observed as (
    select
        procedure_code,
        snapshot_date,
        any_value(procedure_name) as procedure_name,
        any_value(sector_code) as sector_code,
        any_value(sector_name) as sector_name,
        any_value(agency_level) as agency_level,
        max(max_service_level) as max_service_level,
        bool_or(eligible_full_process) as eligible_full_process,
        -- unknown (an export without the field) counts as requiring one, as most procedures do
        coalesce(bool_or(requires_result_document), true) as requires_result_document
    from snapshots
    group by procedure_code, snapshot_date
),

snapshot_days as (
    select
        snapshot_date,
        row_number() over (order by snapshot_date) as n,
        lead(snapshot_date) over (order by snapshot_date) as next_snapshot_date
    from (select distinct snapshot_date from observed) as days
),

keyed as (
    select
        o.*,
        d.n,
        d.next_snapshot_date,
        md5(concat_ws('|',
            coalesce(o.procedure_name, '∅'), coalesce(o.sector_code, '∅'),
            coalesce(o.sector_name, '∅'), coalesce(o.agency_level, '∅'),
            coalesce(cast(o.max_service_level as varchar), '∅'),
            coalesce(cast(o.eligible_full_process as varchar), '∅'),
            cast(o.requires_result_document as varchar)
        )) as state_hash
    from observed as o
    join snapshot_days as d using (snapshot_date)
),

starts as (
    select
        *,
        case when lag(n) over by_procedure = n - 1 and lag(state_hash) over by_procedure = state_hash
            then 0 else 1 end as is_start
    from keyed
    window by_procedure as (partition by procedure_code order by n)
),

islands as (
    select
        *,
        sum(is_start) over (partition by procedure_code order by n rows unbounded preceding) as island
    from starts
),

final as (
    select
        procedure_code,
        arg_max_null(procedure_name, n) as procedure_name,
        arg_max_null(sector_code, n) as sector_code,
        arg_max_null(sector_name, n) as sector_name,
        arg_max_null(agency_level, n) as agency_level,
        arg_max_null(max_service_level, n) as max_service_level,
        arg_max_null(eligible_full_process, n) as eligible_full_process,
        arg_max_null(requires_result_document, n) as requires_result_document,
        case when min(n) = 1 then date '2000-01-01' else min(snapshot_date) end as valid_from,
        cast(arg_max_null(next_snapshot_date, n) - interval 1 day as date) as valid_to,
        min(snapshot_date) as first_snapshot_date,
        max(snapshot_date) as last_snapshot_date
    from islands
    group by procedure_code, island
)

select * from final
