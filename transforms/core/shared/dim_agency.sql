-- Agencies that provide procedures and hold work files, tied to their unit:
-- provincial departments (unit = province), district and commune People's Committees.
with

agencies as (
    -- the agencies of the 2024 units only, until codes are resolved by date (issue 7)
    select * from ref.agency where cast(valid_from as date) < date '2025-07-01'
),

units as (
    select * from core.dim_unit
),

final as (
    select
        a.agency_code,
        a.name_vi as agency_name_vi,
        a.name_en as agency_name_en,
        a.agency_level,
        a.unit_code,
        u.commune_code,
        u.district_code,
        u.province_code
    from agencies as a
    join units as u on u.unit_code = a.unit_code
)

select * from final
