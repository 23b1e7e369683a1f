-- One row per work file (hồ sơ công việc) of the document-management system in
-- its latest state (a file is reported in the month it opens and again in the
-- month it closes), tied to the holding agency's level and unit, with the flags
-- T06a–c count: handled end to end in the system, and state secret (excluded).
-- incremental: work_file_id (each row depends only on the versions of its work file)
with

versions as not materialized (
    select * from stg.docs_work_file
),

-- the latest version chosen on the key and the order alone, then its row taken (a window
-- carrying the whole rows sorts them all)
latest_version as (
    select _file_id, _row from versions
    qualify row_number() over (
        partition by work_file_id
        order by _file_date desc, updated_at desc nulls last, _file_id desc, _row desc
    ) = 1
),

latest as (
    select v.* from versions as v
    semi join latest_version as l on l._file_id = v._file_id and l._row = v._row
),

agencies as (
    select * from core.dim_agency
),

final as (
    select
        w.work_file_id,
        w.agency_code,
        a.unit_code,
        a.agency_level,
        w.opened_date,
        w.closed_date,
        w.status,
        w.status <> 'open' as is_closed,
        w.is_processed_online,
        w.secrecy_level,
        w.is_state_secret,
        w.n_documents,
        w.officer_hash,
        w.updated_at,
        w._file_id as source_file_id
    from latest as w
    left join agencies as a on a.agency_code = w.agency_code
)

select * from final
