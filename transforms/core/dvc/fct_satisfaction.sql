-- One row per finished dossier with what counts against satisfaction (T05,
-- Decision 766/QĐ-TTg): rated dissatisfied, a complaint, or finished late.
-- incremental: dossier_id (each row depends only on the input rows of its dossier)
with

dossiers as (
    select * from core.fct_dossier
    where is_finished
),

ratings as (
    select * from core.fct_rating
),

final as (
    select
        d.dossier_id,
        d.procedure_code,
        d.unit_code,
        d.agency_code,
        d.applicant_unit_code,
        d.finished_date,
        r.satisfaction,
        coalesce(r.is_dissatisfied, false) as is_dissatisfied,
        coalesce(r.has_complaint, false) as has_complaint,
        d.is_overdue,
        r.dossier_id is not null as is_rated
    from dossiers as d
    left join ratings as r on r.dossier_id = d.dossier_id
)

select * from final
