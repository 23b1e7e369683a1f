-- Agencies that provide procedures and hold work files, tied to their unit, with the dates
-- they existed: until 30/6/2025 the provincial departments (unit 93), district and commune
-- People's Committees; from 1/7/2025 the city's departments (agency_level province, unit 92)
-- and the new units' People's Committees. Agency codes are never reused (key agency_code);
-- an agency's unit is the unit of its code valid when the agency began.
with

agencies as (
    select * from ref.agency
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
        u.province_code,
        u.plan_area_code,
        cast(a.valid_from as date) as valid_from,
        cast(a.valid_to as date) as valid_to
    from agencies as a
    join units as u
        on u.unit_code = a.unit_code
        and cast(a.valid_from as date) between u.valid_from and coalesce(u.valid_to, date '9999-12-31')
)

select * from final
