-- One row per province and statistical period (quarter or year): GRDP at current prices and the
-- digital economy's value added (billion VND) as last published: the latest delivery of a
-- period wins (a yearly official release restates the preliminary quarters). Feeds T07.
with

quarterly as (
    select * from stg.stats_grdp_quarterly
),

yearly as (
    select * from stg.stats_grdp_yearly
),

cells as (
    select * from quarterly
    union all by name
    select * from yearly
),

latest as (
    select * from cells
    where unit_code is not null
    qualify row_number() over (
        partition by unit_code, period_type, period_start, measure
        order by _file_date desc,
            case release when 'official' then 3 when 'preliminary' then 2 when 'estimate' then 1 else 0 end desc,
            _file_id desc, _row desc
    ) = 1
),

pivoted as (
    select
        unit_code,
        period_type,
        any_value(year) as year,
        any_value(quarter) as quarter,
        period_start,
        any_value(period_end) as period_end,
        max(value) filter (where measure = 'grdp') as grdp,
        max(value) filter (where measure = 'digital_economy') as digital_economy_va,
        max(value) filter (where measure = 'digital_core') as digital_core_va,
        max(value) filter (where measure = 'digital_sectors') as digital_sectors_va,
        max(value) filter (where measure = 'digital_share') as reported_share,
        arg_max(release, _file_date) filter (where measure = 'grdp') as release,
        max(_file_date) as delivered_date,
        arg_max(_file_id, _file_date) as source_file_id
    from latest
    group by unit_code, period_type, period_start
),

final as (
    select
        unit_code,
        period_type as stat_period_type,
        year,
        quarter,
        period_start as stat_period_start,
        period_end as stat_period_end,
        case when quarter is null then cast(year as varchar) else year || '-Q' || quarter end as stat_period_label,
        grdp,
        digital_economy_va,
        digital_core_va,
        digital_sectors_va,
        reported_share,
        round(100 * digital_economy_va / nullif(grdp, 0), 4) as digital_share,
        abs(reported_share - 100 * digital_economy_va / nullif(grdp, 0)) as share_gap,
        abs(digital_core_va + digital_sectors_va - digital_economy_va) as parts_gap,
        release,
        delivered_date,
        source_file_id
    from pivoted
)

select * from final
