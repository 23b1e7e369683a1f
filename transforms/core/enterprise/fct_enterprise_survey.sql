-- One row per enterprise and survey year (its latest answer when the survey
-- sends an enterprise more than once), with the flags T08 and T09 count:
-- active, in commerce (VSIC section G), SME (micro, small, medium, Decree
-- 80/2021/NĐ-CP), used e-contracts, used at least one digital platform.
with

answers as (
    select * from stg.enterprise_survey
),

latest as (
    select * from answers
    qualify row_number() over (
        partition by survey_year, tax_code_hash order by _file_date desc, _file_id desc, _row desc
    ) = 1
),

final as (
    select
        survey_year,
        make_date(survey_year, 12, 31) as survey_date,
        tax_code_hash,
        unit_code,
        size_class,
        size_class in ('micro', 'small', 'medium') as is_sme,
        sector_section,
        sector_section = 'G' as is_commerce,
        status,
        status = 'active' as is_active,
        employees,
        uses_e_contract,
        uses_e_contract is not null as answered_e_contract,
        platforms,
        n_platforms,
        n_platforms > 0 as uses_digital_platform,
        len(list_filter(platforms, lambda p: p <> 'e_invoice')) > 0 as uses_platform_beyond_e_invoice,
        _file_id as source_file_id
    from latest
)

select * from final
