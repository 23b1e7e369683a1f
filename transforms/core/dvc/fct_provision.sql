-- One row per (agency, procedure) it provides, as of the latest snapshot: the
-- level it offers the service at, and since when it is full-process online.
with

snapshots as (
    select * from stg.dvc_provision
),

latest_snapshot as (
    select * from snapshots
    where snapshot_date = (select max(s.snapshot_date) from snapshots as s)
),

latest as (
    select * from latest_snapshot
    qualify row_number() over (partition by agency_code, procedure_code order by _file_id desc, _row desc) = 1
),

procedures as (
    select * from core.dim_procedure
),

agencies as (
    select * from core.dim_agency
),

final as (
    select
        l.agency_code,
        l.procedure_code,
        a.unit_code,
        a.agency_level,
        l.service_level,
        l.full_process_since,
        coalesce(p.eligible_full_process, false) as eligible_full_process,
        l.service_level = 4 and l.full_process_since is not null as is_full_process,
        l.snapshot_date
    from latest as l
    join agencies as a on a.agency_code = l.agency_code
    left join procedures as p on p.procedure_code = l.procedure_code
)

select * from final
