-- One row per (agency, procedure) it provides and span of days over which it
-- stood unchanged (valid_from .. valid_to, inclusive; valid_to null = still
-- valid): the level it offers the service at, since when it is full-process
-- online, and whether the procedure was eligible for full process then. The
-- state is observed on every day a provision or catalogue snapshot is dated:
-- the provision list in force that day (the latest provision snapshot on or
-- before it) with the catalogue as it stood that day (core.dim_procedure). A
-- row is valid from the first day it is observed to the day before the first
-- later observation that no longer shows it or shows it changed. The earliest
-- provision snapshot also answers for the days before it (valid_from
-- 2000-01-01), as it did when only the latest snapshot was kept. A later
-- snapshot never changes what an earlier day saw.
-- bookkeeping: source_file_id (the file of the latest snapshot moves with every snapshot; no model reads it)
with

provisions as (
    select * from stg.dvc_provision
),

procedures as (
    select * from core.dim_procedure
),

agencies as (
    select * from core.dim_agency
),

-- a provision listed twice in one day's snapshot: the last row wins
observed as (
    select * from provisions
    qualify row_number() over (
        partition by agency_code, procedure_code, snapshot_date order by _file_id desc, _row desc
    ) = 1
),

provision_days as (
    select distinct snapshot_date from observed
),

observation_days as (
    select
        observed_on,
        row_number() over (order by observed_on) as n,
        lead(observed_on) over (order by observed_on) as next_observed_on
    from (
        select snapshot_date as observed_on from provision_days
        union
        select snapshot_date from stg.dvc_procedure
        where snapshot_date >= (select min(snapshot_date) from provision_days)
    ) as days
),

-- the provision snapshot in force on each observation day
in_force as (
    select o.observed_on, o.n, o.next_observed_on, max(p.snapshot_date) as snapshot_date
    from observation_days as o
    join provision_days as p on p.snapshot_date <= o.observed_on
    group by all
),

states as (
    select
        i.observed_on,
        i.n,
        i.next_observed_on,
        s.agency_code,
        s.procedure_code,
        s.service_level,
        s.full_process_since,
        coalesce(p.eligible_full_process, false) as eligible_full_process,
        s.snapshot_date,
        s._file_id,
        md5(concat_ws('|',
            coalesce(cast(s.service_level as varchar), '∅'),
            coalesce(cast(s.full_process_since as varchar), '∅'),
            cast(coalesce(p.eligible_full_process, false) as varchar)
        )) as state_hash
    from in_force as i
    join observed as s on s.snapshot_date = i.snapshot_date
    left join procedures as p
        on p.procedure_code = s.procedure_code
        and i.observed_on between p.valid_from and coalesce(p.valid_to, date '9999-12-31')
),

starts as (
    select
        *,
        case when lag(n) over by_provision = n - 1 and lag(state_hash) over by_provision = state_hash
            then 0 else 1 end as is_start
    from states
    window by_provision as (partition by agency_code, procedure_code order by n)
),

islands as (
    select
        *,
        sum(is_start) over (
            partition by agency_code, procedure_code order by n rows unbounded preceding
        ) as island
    from starts
),

intervals as (
    select
        agency_code,
        procedure_code,
        arg_max_null(service_level, n) as service_level,
        arg_max_null(full_process_since, n) as full_process_since,
        arg_max_null(eligible_full_process, n) as eligible_full_process,
        case when min(n) = 1 then date '2000-01-01' else min(observed_on) end as valid_from,
        cast(arg_max_null(next_observed_on, n) - interval 1 day as date) as valid_to,
        min(snapshot_date) as snapshot_date,
        arg_max_null(_file_id, n) as source_file_id
    from islands
    group by agency_code, procedure_code, island
),

final as (
    select
        l.agency_code,
        l.procedure_code,
        a.unit_code,
        a.agency_level,
        l.service_level,
        l.full_process_since,
        l.eligible_full_process,
        l.service_level = 4 and l.full_process_since is not null as is_full_process,
        l.valid_from,
        l.valid_to,
        l.snapshot_date,
        l.source_file_id
    from intervals as l
    join agencies as a on a.agency_code = l.agency_code
)

select * from final
