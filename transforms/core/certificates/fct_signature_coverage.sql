-- T11 in one table: the numerator's rows (each person's spans of continuous
-- cover by at least one valid certificate, the person keyed by the hash of
-- their citizen ID) and the denominator's rows (adults of each commune at each
-- population extract), told apart by `kind`, each with the days it stands for
-- (valid_from .. valid_through). At a period's end the indicator counts
-- distinct holders covered that day and adult by then, over the adults of the
-- extract that applies that day, so a person with certificates from two
-- issuers (or two at one issuer) counts once at every level.
-- A holder belongs to the commune of their most recently issued certificate
-- that names one (the province when none does), whichever certificate is valid.
-- Merging a person's overlapping or back-to-back certificates into spans gives
-- the engine one row per person and day, about a fifth fewer rows to count.
with

certificates as (
    select * from core.fct_certificate
    where is_individual and holder_hash is not null and valid_through >= issued_date
),

population as (
    select * from core.fct_population
),

province as (
    -- the plan's area: a certificate with no commune counts in the province row (plan_area_code)
    select unit_code from core.dim_unit where admin_level = 'province' and unit_code = plan_area_code
),

homes as (
    select holder_hash, commune_code as home_code
    from certificates
    where commune_code is not null
    qualify row_number() over (
        partition by holder_hash order by issued_date desc, issuer_code asc, serial asc
    ) = 1
),

ordered as (
    select
        holder_hash,
        issuer_code,
        issued_date,
        valid_through,
        holder_birth_year,
        max(valid_through) over (
            partition by holder_hash order by issued_date, valid_through, issuer_code, serial
            rows between unbounded preceding and 1 preceding
        ) as covered_through_before
    from certificates
),

islands as (
    select
        *,
        sum(case when covered_through_before is null
                   or issued_date > covered_through_before + interval 1 day then 1 else 0 end) over (
            partition by holder_hash order by issued_date, valid_through, issuer_code
            rows between unbounded preceding and current row
        ) as span_number
    from ordered
),

spans as (
    select
        holder_hash,
        span_number,
        min(issued_date) as valid_from,
        max(valid_through) as valid_through,
        min(holder_birth_year) as holder_birth_year,
        count(*) as n_certificates,
        count(distinct issuer_code) as n_issuers
    from islands
    group by holder_hash, span_number
),

holder_rows as (
    select
        'holder' as kind,
        coalesce(h.home_code, p.unit_code) as unit_code,
        s.holder_hash,
        s.valid_from,
        s.valid_through,
        s.holder_birth_year + 18 as adult_from_year,
        s.n_certificates,
        s.n_issuers,
        cast(null as bigint) as adults
    from spans as s
    left join homes as h on h.holder_hash = s.holder_hash
    cross join province as p
),

population_rows as (
    select
        'population' as kind,
        unit_code,
        cast(null as varchar) as holder_hash,
        valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_through,
        cast(null as integer) as adult_from_year,
        cast(null as bigint) as n_certificates,
        cast(null as bigint) as n_issuers,
        cast(adults as bigint) as adults
    from population
),

final as (
    select * from holder_rows
    union all
    select * from population_rows
)

select * from final
