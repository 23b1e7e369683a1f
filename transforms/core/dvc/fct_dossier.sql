-- One row per dossier in its latest state (the system re-sends a dossier when
-- its status changes), with the flags the public-service targets T02–T04 count.
-- The procedure's provision and catalogue entry are read as they stood on the
-- dossier's received_date (T02: "procedure full-process when the dossier was
-- filed"): a later provision snapshot does not change an earlier dossier.
-- incremental: dossier_id (each row depends only on the input rows of its dossier)
with

versions as not materialized (
    select * from stg.dvc_dossier
),

-- the latest version: the largest of one number per row that orders a dossier's versions as
-- (_file_date, status, _file_id, _row) descending would, from its highest bits: the file's day
-- (17 bits: days since 1900 + 1, none 0), the status (9 bits: + 129, none 0), the file id (65
-- bits: its 16 hex digits + 1, none 0), the line (37 bits). The largest per dossier is a hash
-- aggregate, where a window sorted the keys of every version (scale 8, 10M versions: the
-- table in 12.7-14.4 s against 15.5-17.7 s); a day or a line beyond its bits stops the build.
ordered as not materialized (
    select
        *,
        case
            when _file_date not between date '1900-01-01' and date '2258-01-01'
                or _row not between 0 and (cast(1 as bigint) << 37) - 1
                then error(
                    'stg.dvc_dossier: a file day or line beyond what orders its versions: '
                    || coalesce(cast(_file_date as varchar), 'none') || ', line '
                    || cast(_row as varchar) || ' of file ' || coalesce(_file_id, 'none')
                    || ' (meta.manifest.file_id)'
                )
            else (cast(coalesce(date_diff('day', date '1900-01-01', _file_date) + 1, 0) as uhugeint) << 111)
                | (cast(coalesce(cast(status as int) + 129, 0) as uhugeint) << 102)
                | (coalesce(cast(cast('0x' || _file_id as ubigint) as uhugeint) + 1, 0) << 37)
                | cast(coalesce(_row, 0) as uhugeint)
        end as _version
    from versions
),

latest_version as (
    select max(_version) as _version from ordered
    group by dossier_id
),

latest as (
    select v.* exclude (_version) from ordered as v
    semi join latest_version as l on l._version = v._version
),

agencies as (
    select * from core.dim_agency
),

provisions as (
    select * from core.fct_provision
),

procedures as (
    select * from core.dim_procedure
),

final as (
    select
        d.dossier_id,
        d.procedure_code,
        d.agency_code,
        a.unit_code,
        a.agency_level,
        d.channel,
        d.status,
        d.applicant_type,
        d.applicant_hash,
        d.applicant_unit_code,
        d.submitted_at,
        cast(d.submitted_at as date) as submitted_date,
        d.received_at,
        cast(coalesce(d.received_at, d.submitted_at) as date) as received_date,
        d.due_at,
        d.finished_at,
        cast(d.finished_at as date) as finished_date,
        d.returned_at,
        d.refused_at,
        d.status not in (1, 3) as is_received,
        d.channel = 2 as is_online,
        coalesce(p.service_level = 4 and p.full_process_since <= cast(d.submitted_at as date), false)
            as is_full_process_service,
        d.status in (9, 10) as is_finished,
        d.status in (9, 10) and d.finished_at > d.due_at as is_overdue,
        d.n_result_documents > 0 as has_e_result,
        -- the national monitoring system's (766) reading: a result with its code and its file link
        d.n_result_documents_linked > 0 as has_e_result_linked,
        coalesce(pr.requires_result_document, true) as requires_result_document,
        d.data_from_national_db,
        -- an export that does not say whether the record reached the national portal counts as synced
        coalesce(d.synced_to_portal, true) as is_synced_to_portal,
        d.vneid_authenticated,
        d.has_digitised_components,
        d.paid_online,
        d.n_documents,
        d.n_documents_digitised,
        d.n_result_documents,
        d.fee_total,
        d._file_id as source_file_id
    from latest as d
    left join agencies as a on a.agency_code = d.agency_code
    left join provisions as p
        on p.agency_code = d.agency_code and p.procedure_code = d.procedure_code
        and cast(coalesce(d.received_at, d.submitted_at) as date)
            between p.valid_from and coalesce(p.valid_to, date '9999-12-31')
    left join procedures as pr
        on pr.procedure_code = d.procedure_code
        and cast(coalesce(d.received_at, d.submitted_at) as date)
            between pr.valid_from and coalesce(pr.valid_to, date '9999-12-31')
)

select * from final
