-- The latest satisfaction rating of each dossier (a re-sent rating replaces the earlier one).
-- incremental: dossier_id (each row depends only on the input rows of its dossier)
with

ratings as (
    select * from stg.dvc_rating
),

final as (
    select
        dossier_id,
        rated_at,
        satisfaction,
        satisfaction = 4 as is_dissatisfied,
        complaint as has_complaint
    from ratings
    qualify row_number() over (partition by dossier_id order by _file_date desc, rated_at desc, _row desc) = 1
)

select * from final
