-- One row per retail store and span of days over which the tax department's
-- register snapshots showed it unchanged (valid_from .. valid_to, inclusive): a
-- row shown by snapshots d1..dn (their cut-off days) is valid from d1 to the day
-- before the first later snapshot that drops it or shows it changed. The
-- register answers only for what it saw: the earliest snapshot from its own
-- day (nothing before it), the latest to the end of its month (valid_to is
-- never open: no snapshot, no value). A stock indicator evaluated at a
-- period's end counts the rows valid that day, i.e. the register as it stood
-- then. A snapshot re-sent for the same cut-off day replaces the earlier one.
with

snapshots as (
    select * from stg.tax_retail_store
),

latest as (
    select * from snapshots
    qualify row_number() over (
        partition by snapshot_date, store_id order by _file_date desc, _file_id desc, _row desc
    ) = 1
),

snapshot_days as (
    select
        snapshot_date,
        row_number() over (order by snapshot_date) as n,
        coalesce(
            cast(lead(snapshot_date) over (order by snapshot_date) - interval 1 day as date),
            last_day(snapshot_date)
        ) as answers_to
    from (select distinct snapshot_date from latest) as days
),

keyed as (
    select
        s.*,
        d.n,
        d.answers_to,
        md5(concat_ws('|',
            coalesce(s.taxpayer_hash, '∅'), coalesce(s.taxpayer_type, '∅'),
            coalesce(s.unit_code, '∅'), coalesce(s.business_line, '∅'),
            coalesce(cast(s.is_consumer_goods as varchar), '∅'), coalesce(s.status_code, '∅'),
            coalesce(s.status, '∅'), coalesce(cast(s.is_active as varchar), '∅'),
            coalesce(cast(s.started_on as varchar), '∅'),
            coalesce(cast(s.cash_register_einvoice_since as varchar), '∅')
        )) as state_hash
    from latest as s
    join snapshot_days as d using (snapshot_date)
),

starts as (
    select
        *,
        case when lag(n) over by_store = n - 1 and lag(state_hash) over by_store = state_hash
            then 0 else 1 end as is_start
    from keyed
    window by_store as (partition by store_id order by n)
),

islands as (
    select
        *,
        sum(is_start) over (partition by store_id order by n rows unbounded preceding) as island
    from starts
),

final as (
    select
        store_id,
        min(snapshot_date) as snapshot_date,
        min(snapshot_date) as valid_from,
        arg_max_null(answers_to, n) as valid_to,
        arg_max_null(taxpayer_hash, n) as taxpayer_hash,
        arg_max_null(taxpayer_type, n) as taxpayer_type,
        arg_max_null(unit_code, n) as unit_code,
        arg_max_null(business_line, n) as business_line,
        arg_max_null(is_consumer_goods, n) as is_consumer_goods,
        arg_max_null(status_code, n) as status_code,
        arg_max_null(status, n) as status,
        arg_max_null(is_active, n) as is_active,
        arg_max_null(started_on, n) as started_on,
        arg_max_null(cash_register_einvoice_since, n) as cash_register_einvoice_since,
        arg_max_null(cash_register_einvoice_since, n) is not null as issues_cash_register_einvoice,
        arg_max_null(_file_id, n) as source_file_id
    from islands
    group by store_id, island
)

select * from final
