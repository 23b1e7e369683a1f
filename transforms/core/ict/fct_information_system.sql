-- One row per state information system and span of days over which the
-- quarterly inventories of the Department of Information and Communications
-- showed it unchanged (valid_from .. valid_to, inclusive; valid_to null = still
-- valid), tied to its owner agency's level and unit, with what T16 and T17
-- count: since when its security level is approved (Decree 85/2016/NĐ-CP) and
-- since when the level's security plan is fully in place. An inventory stands
-- for the date it describes (its title's "Số liệu tính đến ngày", else its
-- delivery date): a row shown by inventories d1..dn is valid from d1 to the day
-- before the first later inventory that drops or changes it. The earliest
-- inventory also answers for the days before it (valid_from 2000-01-01). An
-- approval or a "fully in place" without a date counts from the first
-- inventory that showed this version of the system.
with

snapshots as (
    select * from stg.ict_system
),

-- one row per system and inventory date (a system listed twice: the latest delivery's last row)
observed as (
    select * from snapshots
    qualify row_number() over (
        partition by system_code, inventory_as_of order by _file_date desc, _file_id desc, _row desc
    ) = 1
),

inventory_days as (
    select
        inventory_as_of,
        row_number() over (order by inventory_as_of) as n,
        lead(inventory_as_of) over (order by inventory_as_of) as next_inventory_as_of
    from (select distinct inventory_as_of from observed) as days
),

keyed as (
    select
        o.*,
        d.n,
        d.next_inventory_as_of,
        md5(concat_ws('|',
            coalesce(o.system_name, '∅'), coalesce(o.owner_agency_code, '∅'),
            coalesce(cast(o.proposed_level as varchar), '∅'),
            coalesce(cast(o.approved_level as varchar), '∅'),
            coalesce(o.approval_decision, '∅'), coalesce(cast(o.approved_date as varchar), '∅'),
            coalesce(cast(o.approval_incomplete as varchar), '∅'), coalesce(o.plan_status, '∅'),
            coalesce(cast(o.plan_status_date as varchar), '∅'),
            coalesce(cast(o.in_service_from as varchar), '∅'),
            coalesce(cast(o.in_service_to as varchar), '∅')
        )) as state_hash
    from observed as o
    join inventory_days as d using (inventory_as_of)
),

starts as (
    select
        *,
        case when lag(n) over by_system = n - 1 and lag(state_hash) over by_system = state_hash
            then 0 else 1 end as is_start
    from keyed
    window by_system as (partition by system_code order by n)
),

islands as (
    select
        *,
        sum(is_start) over (partition by system_code order by n rows unbounded preceding) as island
    from starts
),

versions as (
    select
        system_code,
        arg_max_null(system_name, n) as system_name,
        arg_max_null(owner_agency_code, n) as owner_agency_code,
        arg_max_null(proposed_level, n) as proposed_level,
        arg_max_null(approved_level, n) as approved_level,
        arg_max_null(approval_decision, n) as approval_decision,
        arg_max_null(approved_date, n) as approved_date,
        arg_max_null(approval_incomplete, n) as approval_incomplete,
        arg_max_null(plan_status, n) as plan_status,
        arg_max_null(plan_status_date, n) as plan_status_date,
        arg_max_null(in_service_from, n) as in_service_from,
        arg_max_null(in_service_to, n) as in_service_to,
        min(inventory_as_of) as first_inventory_as_of,
        max(inventory_as_of) as inventory_as_of,
        case when min(n) = 1 then date '2000-01-01' else min(inventory_as_of) end as valid_from,
        cast(arg_max_null(next_inventory_as_of, n) - interval 1 day as date) as valid_to,
        arg_max_null(_file_id, n) as source_file_id
    from islands
    group by system_code, island
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
            then coalesce(s.approved_date, s.first_inventory_as_of) end as approved_since,
        s.approval_incomplete,
        s.plan_status,
        s.plan_status_date,
        case when s.plan_status = 'full'
            then coalesce(s.plan_status_date, s.first_inventory_as_of) end as plan_full_since,
        s.in_service_from,
        s.in_service_to,
        s.first_inventory_as_of,
        s.inventory_as_of,
        s.valid_from,
        s.valid_to,
        s.source_file_id
    from versions as s
    left join agencies as a on a.agency_code = s.owner_agency_code
)

select * from final
