-- One row per education institution and school year, as its latest report of
-- that school year gives it (end of year, else end of first semester, else
-- start of year; a re-sent report replaces the earlier one). A school year is
-- counted in the calendar year it ends in (2024-2025 -> 2025): T14 reads the
-- public institutions and whether they take tuition without cash by that report.
-- Each row describes its school year: valid from the day after the previous
-- school year's end to its own end (valid_from .. valid_to, inclusive).
with

reports as (
    select * from stg.education_institution
),

latest as (
    select * from reports
    qualify row_number() over (
        partition by institution_code, school_year
        order by report_rank desc, _file_date desc, _file_id desc, _row desc
    ) = 1
),

final as (
    select
        institution_code,
        institution_name,
        level,
        ownership,
        is_public,
        unit_code,
        school_year,
        school_year_end_year,
        school_year_end,
        report_term,
        _file_date as report_date,
        cashless_since,
        coalesce(cashless_since <= _file_date, false) as is_cashless,
        cast(school_year_end - interval 1 year + interval 1 day as date) as valid_from,
        school_year_end as valid_to
    from latest
)

select * from final
