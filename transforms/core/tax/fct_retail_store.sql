-- One row per retail store per snapshot of the tax department's register,
-- with the span of days that snapshot answers for: from its date to the day
-- before the next snapshot (the last one: to the end of its month). A stock
-- indicator evaluated at a period's end counts the rows whose span holds that
-- day, i.e. the register as it stood then; no snapshot, no value.
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
        lead(snapshot_date) over (order by snapshot_date) as next_snapshot_date
    from (select distinct snapshot_date from latest) as days
),

final as (
    select
        s.store_id,
        s.snapshot_date,
        s.snapshot_date as valid_from,
        coalesce(cast(d.next_snapshot_date - interval 1 day as date), last_day(s.snapshot_date)) as valid_to,
        s.taxpayer_hash,
        s.taxpayer_type,
        s.unit_code,
        s.business_line,
        s.is_consumer_goods,
        s.status_code,
        s.status,
        s.is_active,
        s.started_on,
        s.cash_register_einvoice_since,
        s.cash_register_einvoice_since is not null as issues_cash_register_einvoice,
        s._file_id as source_file_id
    from latest as s
    join snapshot_days as d on d.snapshot_date = s.snapshot_date
)

select * from final
