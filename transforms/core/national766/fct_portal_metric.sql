-- The national portal's published 766 figures (source national766): one row per
-- province, period and metric, from the latest answer the portal gave for it
-- (a revision replaces what was published before; a provisional figure stays
-- flagged). Nulls are kept: the portal did not evaluate that metric.
with

metrics as (
    select * from stg.national766_metric
),

answers as (
    select file_id, extracted_at from meta.manifest
),

latest as (
    select m.*, a.extracted_at
    from metrics as m
    left join answers as a on a.file_id = m._file_id
    qualify row_number() over (
        partition by m.province_code, m.time_type, m.period_start, m.metric_code
        order by m.updated_at desc nulls last, a.extracted_at desc, m._row desc
    ) = 1
),

final as (
    select
        province_code,
        province_name,
        time_type,
        period_start,
        period_end,
        group_code,
        metric_code,
        parent_code,
        metric_name,
        numerator,
        denominator,
        ratio,
        score,
        max_score,
        is_provisional,
        updated_at,
        _file_id as source_file_id
    from latest
)

select * from final
