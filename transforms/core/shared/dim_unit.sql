-- One row per administrative unit and validity: a unit is its code AND the dates it
-- existed (unit codes are reused: 28 codes of 2024 communes name new units from
-- 1/7/2025). Key (unit_code, valid_from). The 2024 geography (province 93, 8
-- districts, 75 communes, to 30/6/2025) and the 2025 one (Cần Thơ 92 and its 103
-- commune-level units, from 1/7/2025, no district level). plan_area_code '93' marks
-- the units of the plan's area (the former Hậu Giang area). A fact's unit is found
-- by its code and its date: valid_from <= date <= coalesce(valid_to, 9999-12-31).
with

units as (
    select
        *,
        cast(valid_from as date) as _from,
        coalesce(cast(valid_to as date), date '9999-12-31') as _to
    from ref.admin_unit
),

final as (
    select
        u.unit_code,
        u.name_vi as unit_name,
        u.unit_type_vi,
        u.admin_level,
        case when u.admin_level = 'commune' then u.unit_code end as commune_code,
        case when u.admin_level in ('commune', 'district') then nullif(u.district_code, '') end as district_code,
        u.province_code,
        d.name_vi as district_name,
        p.name_vi as province_name,
        nullif(u.plan_area_code, '') as plan_area_code,
        u._from as valid_from,
        cast(u.valid_to as date) as valid_to
    from units as u
    -- the parents valid when the unit began (a parent's code may be reused too)
    left join units as d
        on d.unit_code = nullif(u.district_code, '') and u._from between d._from and d._to
    left join units as p
        on p.unit_code = u.province_code and u._from between p._from and p._to
)

select * from final
