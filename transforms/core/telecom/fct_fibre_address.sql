-- One row per household address reachable by fibre (FTTH) at a report
-- quarter's end, whichever operators serve it: operators' reports overlap and
-- an address counts once. For each quarter, each operator's latest report on
-- or before it is used (a report a quarter late does not drop its addresses).
-- An address two operators place in different communes goes to the commune
-- most operators name (ties: the lowest code), so it is counted in one only.
with

listed as (
    select * from stg.telecom_fibre_address
),

reports as (
    select distinct operator, as_of from listed
),

quarters as (
    select distinct as_of from listed
),

in_force as (
    select q.as_of, r.operator, max(r.as_of) as report_as_of
    from quarters as q
    join reports as r on r.as_of <= q.as_of
    group by all
),

served as (
    select
        i.as_of,
        l.address_hash,
        l.operator,
        l.unit_code,
        l.ready_on,
        l.technology,
        i.report_as_of < i.as_of as carried_forward
    from in_force as i
    join listed as l on l.operator = i.operator and l.as_of = i.report_as_of
),

commune_votes as (
    select as_of, address_hash, unit_code, count(distinct operator) as n_votes
    from served
    group by all
),

address_commune as (
    select * from commune_votes
    qualify row_number() over (partition by as_of, address_hash order by n_votes desc, unit_code asc) = 1
),

per_address as (
    select
        as_of,
        address_hash,
        count(distinct operator) as n_operators,
        string_agg(distinct operator, ',' order by operator) as operators,
        count(distinct unit_code) > 1 as communes_disagree,
        min(ready_on) as first_ready_on,
        bool_or(technology = 'XGS-PON') as has_xgs_pon,
        bool_and(carried_forward) as only_carried_forward
    from served
    group by all
),

final as (
    select
        a.as_of,
        a.address_hash,
        c.unit_code,
        a.n_operators,
        a.operators,
        a.communes_disagree,
        a.first_ready_on,
        a.has_xgs_pon,
        a.only_carried_forward
    from per_address as a
    join address_commune as c on c.as_of = a.as_of and c.address_hash = a.address_hash
)

select * from final
