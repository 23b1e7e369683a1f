-- Each data file delivered, with its row count against the recent history of
-- the same source and dataset: the median of the 28 deliveries before it.
-- A day with a tenth of the usual volume shows a ratio near 0.1; the volume
-- rule (expectations/suites/volume.py) reads this table.
with

files as (
    select source, dataset, file_id, name, file_date, rows_read, run_id
    from meta.manifest
    where status = 'loaded' and file_date is not null
),

with_history as (
    select
        *,
        median(rows_read) over (
            partition by source, dataset order by file_date, name
            rows between 28 preceding and 1 preceding
        ) as usual_rows,
        count(*) over (
            partition by source, dataset order by file_date, name
            rows between 28 preceding and 1 preceding
        ) as history_files
    from files
),

final as (
    select
        source,
        dataset,
        file_id,
        name,
        file_date,
        run_id,
        rows_read,
        usual_rows,
        history_files,
        case when history_files >= 7 and usual_rows > 0 then rows_read / usual_rows end as volume_ratio
    from with_history
)

select * from final
