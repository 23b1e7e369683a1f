-- One row per commune and year: the households the statistics office counts
-- there (as of 1 January), the denominator of fibre coverage (T12). A count
-- holds from 1 January of its year to the day before the first later year with
-- a count (valid_from .. valid_to, inclusive; valid_to null = still valid); a
-- count re-sent for the same year replaces the earlier one.
with

counts as (
    select * from stg.telecom_household
),

latest as (
    select * from counts
    qualify row_number() over (
        partition by year, unit_code order by _file_date desc, _file_id desc, _row desc
    ) = 1
),

years as (
    select year, lead(year) over (order by year) as next_year
    from (select distinct year from latest) as counted
),

final as (
    select
        l.year,
        l.unit_code,
        l.households,
        l.count_source,
        make_date(l.year, 1, 1) as valid_from,
        cast(make_date(y.next_year, 1, 1) - interval 1 day as date) as valid_to,
        l._file_id as source_file_id
    from latest as l
    join years as y using (year)
)

select * from final
