-- The national procedure catalogue as of its latest snapshot.
with

snapshots as (
    select * from stg.dvc_procedure
),

latest as (
    select * from snapshots
    qualify snapshot_date = max(snapshot_date) over ()
),

final as (
    select
        procedure_code,
        any_value(procedure_name) as procedure_name,
        any_value(sector_code) as sector_code,
        any_value(sector_name) as sector_name,
        any_value(agency_level) as agency_level,
        max(max_service_level) as max_service_level,
        bool_or(eligible_full_process) as eligible_full_process,
        -- unknown (an export without the field) counts as requiring one, as most procedures do
        coalesce(bool_or(requires_result_document), true) as requires_result_document
    from latest
    group by procedure_code
)

select * from final
