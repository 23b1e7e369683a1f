-- One row per education institution and school year: learners enrolled and
-- those with a digital school record (pupils of general and continuing
-- education) or a digital transcript (students of colleges and universities),
-- from the latest report of the school year, placed in the institution's
-- commune and level as that school year's institution list gives them (or its
-- latest list). Preschool children have no school record: they are kept but
-- flagged out of T13 (`counts_for_t13`). Each row describes its school year:
-- valid from the day after the previous school year's end to its own end.
with

reports as (
    select * from stg.education_enrolment
),

latest as (
    select * from reports
    qualify row_number() over (
        partition by institution_code, school_year
        order by report_rank desc, _file_date desc, _file_id desc, _row desc
    ) = 1
),

institutions as (
    select * from core.fct_edu_institution
),

latest_institution as (
    select * from institutions
    qualify row_number() over (partition by institution_code order by school_year_end_year desc) = 1
),

final as (
    select
        e.institution_code,
        coalesce(i.unit_code, l.unit_code) as unit_code,
        coalesce(i.level, l.level) as level,
        coalesce(i.is_public, l.is_public) as is_public,
        e.school_year,
        e.school_year_end_year,
        e.school_year_end,
        e.report_term,
        e._file_date as report_date,
        e.enrolled,
        case
            when coalesce(i.level, l.level) in ('college', 'university')
                then coalesce(e.students_with_digital_transcript, 0)
            else coalesce(e.pupils_with_digital_record, 0)
        end as with_digital_record,
        coalesce(i.level, l.level) <> 'preschool' as counts_for_t13,
        cast(e.school_year_end - interval 1 year + interval 1 day as date) as valid_from,
        e.school_year_end as valid_to
    from latest as e
    left join institutions as i on i.institution_code = e.institution_code and i.school_year = e.school_year
    left join latest_institution as l on l.institution_code = e.institution_code
)

select * from final
