-- One row per examination and treatment facility in each month-end list, with
-- the days that list stands for: from its day until the day before the next
-- list (the earliest list also stands for the days before it; the latest until
-- further notice). A facility missing from a list has closed (or not opened).
-- A list re-sent for the same day replaces the earlier one, row by row.
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
        case when row_number() over (order by snapshot_date) = 1 then date '2000-01-01'
             else snapshot_date end as applies_from,
        coalesce(cast(lead(snapshot_date) over (order by snapshot_date) - interval 1 day as date),
                 date '9999-12-31') as applies_to
    from (select distinct snapshot_date from latest) as days
),

final as (
    select
        l.facility_code,
        l.facility_name,
        l.facility_type,
        l.ownership,
        l.is_public,
        l.unit_code,
        l.vneid_health_book_since,
        l.snapshot_date,
        s.applies_from,
        s.applies_to,
        coalesce(l.vneid_health_book_since <= l.snapshot_date, false) as runs_vneid_health_book
    from latest as l
    join snapshots as s using (snapshot_date)
)

select * from final
