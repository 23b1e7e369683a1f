-- One row per commune and report quarter: households (the statistics office's
-- latest count for a year up to the quarter's) and distinct fibre-ready
-- household addresses there, so that both sum across communes to districts
-- and the province without counting a household twice. Each row answers for
-- the days from its quarter's end to the day before the next report quarter
-- (the last one: its own quarter's end), for stock indicators.
with

addresses as (
    select * from core.fct_fibre_address
),

households as (
    select * from core.fct_commune_household
),

quarters as (
    select as_of, lead(as_of) over (order by as_of) as next_as_of
    from (select distinct as_of from addresses) as days
),

household_base as (
    select q.as_of, h.unit_code, h.households, h.year as households_year
    from quarters as q
    join households as h on h.year <= year(q.as_of)
    qualify row_number() over (partition by q.as_of, h.unit_code order by h.year desc) = 1
),

fibre as (
    select
        as_of,
        unit_code,
        count(*) as fibre_households,
        count(*) filter (where n_operators > 1) as fibre_households_multi_operator
    from addresses
    group by all
),

joined as (
    select
        coalesce(h.as_of, f.as_of) as as_of,
        coalesce(h.unit_code, f.unit_code) as unit_code,
        h.households_year,
        coalesce(h.households, 0) as households,
        coalesce(f.fibre_households, 0) as fibre_households,
        coalesce(f.fibre_households_multi_operator, 0) as fibre_households_multi_operator
    from household_base as h
    full join fibre as f on f.as_of = h.as_of and f.unit_code = h.unit_code
),

final as (
    select
        j.as_of,
        j.unit_code,
        j.households_year,
        j.households,
        j.fibre_households,
        j.fibre_households_multi_operator,
        j.fibre_households > j.households as fibre_exceeds_households,
        j.as_of as valid_from,
        coalesce(cast(q.next_as_of - interval 1 day as date), j.as_of) as valid_to
    from joined as j
    join quarters as q on q.as_of = j.as_of
)

select * from final
