-- One row per certificate (issuer, serial) in its latest reported state: the
-- issuers re-send a certificate in the month it is revoked, so the latest
-- delivery wins, and a revocation once reported stays. A certificate is valid
-- from the day it is issued through its expiry day, or through the day before
-- its revocation (valid_from .. valid_to, inclusive, as every state table names
-- it; valid_through is the same day). A monthly report revokes from the day it
-- names; the report itself never changes an earlier month's certificates.
with

versions as (
    select * from stg.certificates_certificate
),

latest as (
    select
        *,
        min(revoked_date) over (partition by issuer_code, serial) as first_revoked_date
    from versions
    qualify row_number() over (
        partition by issuer_code, serial order by _file_date desc, _file_id desc, _row desc
    ) = 1
),

province as (
    -- the plan's area: a certificate with no commune counts in the province row (plan_area_code)
    select unit_code from core.dim_unit where admin_level = 'province' and unit_code = plan_area_code
),

final as (
    select
        l.issuer_code,
        l.serial,
        l.subscriber_type,
        l.is_individual,
        l.holder_hash,
        l.holder_birth_year,
        l.unit_code as commune_code,
        coalesce(l.unit_code, p.unit_code) as unit_code,
        l.certificate_form,
        l.issued_date,
        l.expiry_date,
        coalesce(l.revoked_date, l.first_revoked_date) as revoked_date,
        least(l.expiry_date, cast(coalesce(l.revoked_date, l.first_revoked_date) - interval 1 day as date))
            as valid_through,
        l.issued_date as valid_from,
        least(l.expiry_date, cast(coalesce(l.revoked_date, l.first_revoked_date) - interval 1 day as date))
            as valid_to,
        l._file_id as source_file_id
    from latest as l
    cross join province as p
)

select * from final
