-- One row per administrative unit as the plan saw them (2024 geography: province,
-- 8 district-level, 75 commune-level units), the hierarchy flattened so that a
-- fact carrying any unit code rolls up to its district and province.
with

units as (
    -- the 2024 units only, until the engine resolves a code by its date (issue 7)
    select * from ref.admin_unit where cast(valid_from as date) < date '2025-07-01'
),

final as (
    select
        u.unit_code,
        u.name_vi as unit_name,
        u.unit_type_vi,
        u.admin_level,
        case when u.admin_level = 'commune' then u.unit_code end as commune_code,
        case when u.admin_level in ('commune', 'district') then u.district_code end as district_code,
        u.province_code,
        d.name_vi as district_name,
        p.name_vi as province_name,
        cast(u.valid_from as date) as valid_from,
        cast(u.valid_to as date) as valid_to
    from units as u
    left join units as d on d.unit_code = u.district_code
    left join units as p on p.unit_code = u.province_code
)

select * from final
