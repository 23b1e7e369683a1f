-- One row per state information system in the latest quarterly inventory of the
-- Department of Information and Communications, tied to its owner agency's level
-- and unit, with what T16 and T17 count: since when its security level is approved
-- (Decree 85/2016/NĐ-CP) and since when the level's security plan is fully in
-- place. The latest inventory is the one describing the latest date (its title's
-- "Số liệu tính đến ngày"). An approval or a "fully in place" without a date
-- counts from the date the inventory describes.
with

snapshots as (
    select * from stg.ict_system
),

latest as (
    select * from snapshots
    qualify inventory_as_of = max(inventory_as_of) over ()
        and row_number() over (partition by system_code order by _file_date desc, _file_id desc, _row desc) = 1
),

agencies as (
    select * from core.dim_agency
),

final as (
    select
        s.system_code,
        s.system_name,
        s.owner_agency_code,
        a.unit_code,
        a.agency_level,
        s.proposed_level,
        s.approved_level,
        s.approval_decision,
        s.approved_level is not null or s.approved_date is not null as is_approved,
        case when s.approved_level is not null or s.approved_date is not null
            then coalesce(s.approved_date, s.inventory_as_of) end as approved_since,
        s.approval_incomplete,
        s.plan_status,
        s.plan_status_date,
        case when s.plan_status = 'full'
            then coalesce(s.plan_status_date, s.inventory_as_of) end as plan_full_since,
        s.in_service_from,
        s.in_service_to,
        s.inventory_as_of,
        s._file_id as source_file_id
    from latest as s
    left join agencies as a on a.agency_code = s.owner_agency_code
)

select * from final
