-- One row per index (DTI, Vietnam ICT Index), year assessed and province: score, rank, and the
-- rank of the year before with the change (positive = moved up). Every province is kept; only
-- Hậu Giang carries a unit_code (the engine counts rows whose unit is in core.dim_unit), the
-- others keep their GSO code in province_code. Feeds R01 and R02 (keep or improve the rank).
with

dti as (
    select * from stg.rankings_dti
),

ict as (
    select * from stg.rankings_ict
),

tables as (
    select index_code, index_year, province_code, province_name, score, rank, _file_date, _file_id, _row
    from dti
    union all
    select index_code, index_year, province_code, province_name, score, rank, _file_date, _file_id, _row
    from ict
),

latest as (
    -- a table re-published for the same year replaces the earlier one
    select * from tables
    qualify row_number() over (
        partition by index_code, index_year, province_code order by _file_date desc, _file_id desc, _row desc
    ) = 1
),

units as (
    -- the plan's province (its area keeps code 93 for every period: the former Hậu Giang area)
    select distinct unit_code from core.dim_unit where admin_level = 'province' and unit_code = plan_area_code
),

with_previous as (
    select
        *,
        count(*) over (partition by index_code, index_year) as n_ranked,
        lag(rank) over by_province as lag_rank,
        lag(index_year) over by_province as lag_year
    from latest
    window by_province as (partition by index_code, province_code order by index_year)
),

final as (
    select
        r.index_code,
        r.index_year,
        make_date(r.index_year, 1, 1) as index_period_start,
        make_date(r.index_year, 12, 31) as index_period_end,
        r.province_code,
        r.province_name,
        u.unit_code,
        r.score,
        r.rank,
        r.n_ranked,
        case when r.lag_year = r.index_year - 1 then r.lag_rank end as previous_rank,
        case when r.lag_year = r.index_year - 1 then r.lag_rank - r.rank end as rank_change,
        r._file_date as published_date,
        r._file_id as source_file_id
    from with_previous as r
    left join units as u on u.unit_code = r.province_code
)

select * from final
