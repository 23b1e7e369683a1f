-- Each data file delivered, with its row count against the recent history of
-- the same series: same source, dataset and file name pattern (one operator's
-- or one issuer's files are a series of their own), the median of the 8
-- deliveries before it. Daily sources are judged on working days only:
-- weekends and public holidays (Tết above all) are neither judged nor used as
-- history. A day with a tenth of the usual volume shows a ratio near 0.1; the
-- volume rule (expectations/suites/volume.py) reads this table. Small
-- deliveries (usually under 20 rows) are not judged: noise. The pages an API
-- pull took for one day (``<name>-p0001_<day>.json``, ``-p0002`` ...) are one
-- delivery: their rows are summed, judged in the run that took the last page.
with

sources as (
    select * from ref.source
),

pages as (
    select
        m.source, m.dataset, m.file_id, m.file_date, m.rows_read, m.run_id, m.extracted_at,
        regexp_replace(m.name, '-p[0-9][0-9][0-9][0-9]_', '_') as name
    from meta.manifest as m
    join sources as s using (source)
    where m.status = 'loaded' and m.file_date is not null
        and not (s.cadence = 'daily' and (
            isodow(m.file_date) >= 6
            or cast(m.file_date as varchar) in (select holiday_date from ref.holiday)))
),

files as (
    select
        source,
        dataset,
        name,
        file_date,
        min(file_id) as file_id,
        sum(rows_read) as rows_read,
        arg_max(run_id, extracted_at) as run_id,
        regexp_replace(name, '[0-9]', '', 'g') as series
    from pages
    group by source, dataset, name, file_date
),

with_history as (
    select
        *,
        median(rows_read) over (
            partition by source, dataset, series order by file_date, name
            rows between 8 preceding and 1 preceding
        ) as usual_rows,
        count(*) over (
            partition by source, dataset, series order by file_date, name
            rows between 8 preceding and 1 preceding
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
        case when history_files >= 4 and usual_rows >= 20 then rows_read / usual_rows end as volume_ratio
    from with_history
)

select * from final
