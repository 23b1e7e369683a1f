-- One row per commune and year: the households the statistics office counts
-- there (as of 1 January), the denominator of fibre coverage (T12).
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

final as (
    select
        year,
        unit_code,
        households,
        count_source,
        _file_id as source_file_id
    from latest
)

select * from final
