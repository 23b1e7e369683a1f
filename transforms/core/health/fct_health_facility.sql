-- One row per examination and treatment facility and span of days over which
-- the month-end lists showed it unchanged (valid_from .. valid_to, inclusive;
-- valid_to null = still valid): a row shown by lists d1..dn is valid from d1 to
-- the day before the first later list that drops it (closed, or not opened) or
-- shows it changed. The earliest list also stands for the days before it
-- (valid_from 2000-01-01). A list re-sent for the same day replaces the earlier
-- one, row by row; a list re-sent on a later day is an observation of that day.
with

lists as (
    select * from stg.health_facility
),

latest as (
    select * from lists
    qualify row_number() over (
        partition by facility_code, snapshot_date order by _file_date desc, _file_id desc, _row desc
    ) = 1
),

snapshots as (
    select
        snapshot_date,
        row_number() over (order by snapshot_date) as n,
        lead(snapshot_date) over (order by snapshot_date) as next_snapshot_date
    from (select distinct snapshot_date from latest) as days
),

keyed as (
    select
        l.*,
        s.n,
        s.next_snapshot_date,
        coalesce(l.vneid_health_book_since <= l.snapshot_date, false) as runs_vneid_health_book,
        md5(concat_ws('|',
            coalesce(l.facility_name, '∅'), coalesce(l.facility_type, '∅'),
            coalesce(l.ownership, '∅'), coalesce(cast(l.is_public as varchar), '∅'),
            coalesce(l.unit_code, '∅'), coalesce(cast(l.vneid_health_book_since as varchar), '∅'),
            cast(coalesce(l.vneid_health_book_since <= l.snapshot_date, false) as varchar)
        )) as state_hash
    from latest as l
    join snapshots as s using (snapshot_date)
),

starts as (
    select
        *,
        case when lag(n) over by_facility = n - 1 and lag(state_hash) over by_facility = state_hash
            then 0 else 1 end as is_start
    from keyed
    window by_facility as (partition by facility_code order by n)
),

islands as (
    select
        *,
        sum(is_start) over (partition by facility_code order by n rows unbounded preceding) as island
    from starts
),

final as (
    select
        facility_code,
        arg_max_null(facility_name, n) as facility_name,
        arg_max_null(facility_type, n) as facility_type,
        arg_max_null(ownership, n) as ownership,
        arg_max_null(is_public, n) as is_public,
        arg_max_null(unit_code, n) as unit_code,
        arg_max_null(vneid_health_book_since, n) as vneid_health_book_since,
        min(snapshot_date) as snapshot_date,
        case when min(n) = 1 then date '2000-01-01' else min(snapshot_date) end as valid_from,
        cast(arg_max_null(next_snapshot_date, n) - interval 1 day as date) as valid_to,
        arg_max_null(runs_vneid_health_book, n) as runs_vneid_health_book
    from islands
    group by facility_code, island
)

select * from final
