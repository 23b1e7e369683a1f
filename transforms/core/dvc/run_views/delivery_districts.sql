-- Per district, the dossiers of this run's working-day deliveries: a district
-- with none means a whole district is missing from the extracts (its agencies
-- did not synchronise). Judged only when the run delivered at least 500
-- dossier records, so that an empty district is not chance. Read by the
-- source-scoped rule source_dvc_districts (expectations/suites/dvc.py).
with

delivered as (
    select * from stg.dvc_dossier
    where _run_id = '{run_id}'
        and isodow(_file_date) < 6
        and cast(_file_date as varchar) not in (select holiday_date from ref.holiday)
),

total as (
    select count(*) as n_delivered from delivered
),

period as (
    select min(_file_date) as first_day, max(_file_date) as last_day from delivered
),

per_district as (
    -- the districts that existed during the delivered days (none from 1/7/2025)
    select a.district_code, count(d.dossier_id) as n_rows
    from core.dim_agency as a
    cross join period as p
    left join delivered as d on d.agency_code = a.agency_code
    where a.district_code is not null
        and a.valid_from <= p.last_day and coalesce(a.valid_to, date '9999-12-31') >= p.first_day
    group by a.district_code
),

final as (
    select p.district_code, p.n_rows, t.n_delivered
    from per_district as p cross join total as t
    where t.n_delivered >= 500
)

select * from final
