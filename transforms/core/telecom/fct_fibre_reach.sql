-- One row per commune, report quarter and operator: the fibre-ready household
-- addresses that operator can serve there (as core.fct_fibre_address counts and
-- places them: an address once, in the commune most operators name) with the
-- commune's households and validity as core.fct_fibre_coverage has them. T12's
-- numerator and denominator computed on these rows give each operator's own
-- reach, its drill-down by operator. Operators overlap: their reaches do not
-- add up to the commune's fibre households (those served by one operator
-- only, fibre_households_exclusive, plus those several serve, do).
with

addresses as (
    select * from core.fct_fibre_address
),

coverage as (
    select * from core.fct_fibre_coverage
),

operators as (
    select distinct operator from stg.telecom_fibre_address
),

served as (
    select
        a.as_of,
        a.unit_code,
        o.operator,
        count(*) as fibre_households,
        count(*) filter (where a.n_operators = 1) as fibre_households_exclusive
    from addresses as a
    cross join unnest(string_split(a.operators, ',')) as o (operator)
    group by all
),

final as (
    select
        c.as_of,
        c.unit_code,
        o.operator,
        c.households,
        coalesce(s.fibre_households, 0) as fibre_households,
        coalesce(s.fibre_households_exclusive, 0) as fibre_households_exclusive,
        c.valid_from,
        c.valid_to
    from coverage as c
    cross join operators as o
    left join served as s
        on s.as_of = c.as_of and s.unit_code = c.unit_code and s.operator = o.operator
)

select * from final
