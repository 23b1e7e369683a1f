-- The tables that persist from run to run. Everything in core and mart is
-- derived and rebuilt by every run from these (see transforms/).
create schema if not exists meta;
create schema if not exists ref;
create schema if not exists stg;
create schema if not exists core;
create schema if not exists mart;
create schema if not exists audit;

-- Every file taken from the landing zone, once per content.
create table if not exists meta.manifest (
    file_id          varchar primary key,   -- first 16 hex of sha256(url | content sha256)
    source           varchar not null,
    dataset          varchar not null,
    url              varchar not null,
    name             varchar not null,
    size             bigint,
    modified         varchar,
    sha256           varchar not null,
    archive_path     varchar,
    file_date        date,                  -- the date stamped in the file name (delivery)
    period_start     date,                  -- the period the file covers (completeness)
    period_end       date,
    status           varchar not null,      -- extracted | loaded | duplicate | error
    duplicate_of     varchar,               -- file_id of the same content taken before
    error            varchar,
    rows_read        bigint,
    rows_loaded      bigint,
    rows_quarantined bigint,
    rows_duplicate   bigint,
    run_id           varchar not null,      -- the run that took it
    extracted_at     timestamp not null,
    loaded_at        timestamp,
    lines            bigint                 -- lines counted when taken (null: not counted)
);
alter table meta.manifest add column if not exists lines bigint;

-- Which physical build this file is: a new value each time a run makes its build file (a copy of
-- the published warehouse). A retried run whose build file is still there keeps its work; one
-- whose build was made anew recomputes everything (flows/caching.py keys on it).
create table if not exists meta.build_generation (
    generation  varchar not null,           -- a new random value for every build file made
    run_id      varchar not null,           -- the run the build file was made for
    created_at  timestamp not null          -- when the build file was made
);

-- One row per pipeline run that built this file.
create table if not exists audit.run (
    run_id        varchar primary key,
    started_at    timestamp,
    finished_at   timestamp,
    base_run_id   varchar,                  -- the published run this build started from
    status        varchar,                  -- building | published | published_with_blocked
    files_loaded  bigint,
    rows_read     bigint,
    rows_loaded   bigint,
    rows_quarantined bigint,
    rows_duplicate   bigint,
    indicators_blocked varchar
);
-- a fingerprint of the code, rules, catalogue and reference data that built the values: a night
-- with no new file and the same fingerprint has nothing to recompute (flows/nightly.py)
alter table audit.run add column if not exists definitions varchar;

-- Rows that broke a row rule, with the rule and the reason; never personal data in clear.
create table if not exists audit.quarantine (
    run_id      varchar not null,
    source      varchar not null,
    dataset     varchar not null,
    file_id     varchar not null,
    file_name   varchar,
    "row"       bigint,
    rule        varchar not null,
    reason      varchar,
    record      varchar,                    -- the row as sent, personal fields left out
    status      varchar not null default 'open',   -- open | superseded
    superseded_by_run varchar
);

-- Rows read but not loaded because the same row (same content) was staged before: the
-- per-row side of rows_duplicate in meta.manifest. Files recognised whole as duplicates
-- (same bytes as an earlier file) are not listed row by row: meta.manifest.duplicate_of.
create table if not exists audit.duplicate_row (
    file_id   varchar not null,
    "row"     bigint not null,
    row_hash  varchar not null,             -- equals stg.*._row_hash of the row kept
    run_id    varchar not null
);

-- Every expectation evaluated, every run.
create table if not exists audit.check_result (
    run_id           varchar not null,
    checked_at       timestamp not null,
    suite            varchar not null,
    table_name       varchar not null,
    expectation      varchar not null,
    "column"         varchar,
    severity         varchar not null,
    success          boolean not null,
    observed_value   varchar,
    unexpected_count bigint,
    element_count    bigint,
    kwargs           varchar,
    description      varchar,
    exception        varchar,
    scope            varchar                -- what a failed critical check blocks: null = the table, or source:<name>
);
alter table audit.check_result add column if not exists scope varchar;

-- The indicator values of every published run (mart.indicator_value holds the latest).
-- (Named audit.indicator_history before that name went to the log of changes below:
-- warehouse/build.py ensure_schema renames an older warehouse's table.)
create table if not exists audit.indicator_value_by_run (
    run_id        varchar not null,
    indicator_id  varchar not null,
    period_type   varchar not null,
    period_start  date not null,
    period_end    date not null,
    admin_level   varchar not null,
    admin_code    varchar not null,
    numerator     double,
    denominator   double,
    value         double,
    status        varchar not null
);

-- Every published value that changed: old and new, the runs, and why (transforms/marts/history.py).
create table if not exists audit.indicator_history (
    indicator_id     varchar not null,
    period_type      varchar not null,
    period_start     date not null,
    period_end       date not null,
    admin_level      varchar not null,
    admin_code       varchar not null,
    row_key          varchar,               -- other columns identifying the value (JSON); null when none
    old_numerator    double,
    old_denominator  double,
    old_value        double,
    old_status       varchar,
    old_run_id       varchar,               -- the run that computed the old value
    new_numerator    double,
    new_denominator  double,
    new_value        double,
    new_status       varchar,               -- null: no longer published
    new_run_id       varchar not null,      -- the run that published the new value
    reason           varchar not null,
    recorded_at      timestamp not null
);

-- The computation of each indicator as last published (hash of the catalogue fields that decide
-- its value): a change is recorded in audit.indicator_history as 'definition changed'.
create table if not exists meta.indicator_definition (
    indicator_id     varchar primary key,
    definition_hash  varchar not null,
    run_id           varchar not null,      -- the run that published this definition first
    recorded_at      timestamp not null
);

-- Each additive flow indicator's partial counts per day and unit as the run that counted them
-- left them (transforms/marts/daily.py): a night that merged some keys moves them by its
-- changes instead of counting the whole history again.
create table if not exists meta.indicator_daily (
    indicator_id    varchar not null,
    run_id          varchar not null,       -- the run whose table these counts are of
    _province       varchar,                -- the plan area (every counted row)
    _district       varchar,                -- the row's district as of its date
    _district_from  date,                   -- that district's validity start
    _commune        varchar,                -- the row's commune as of its date
    _commune_from   date,                   -- that commune's validity start
    _today          varchar,                -- the new unit an old commune maps forward to
    _former         varchar,                -- the former district a new unit rolls up to
    _day            date not null,          -- the day of the indicator's date column
    parts           bigint[] not null       -- the partial counts, in the catalogue's order
);

-- The same for each drill-down of such an indicator, per member of its dimension
-- (transforms/marts/drilldown.py).
create table if not exists meta.drilldown_daily (
    indicator_id    varchar not null,
    dimension       varchar not null,       -- the drill-down's dimension (procedure, agency, ...)
    run_id          varchar not null,       -- the run whose table these counts are of
    _member         varchar,                -- the member of the dimension (its code)
    _province       varchar,                -- the plan area (every counted row)
    _district       varchar,                -- the row's district as of its date
    _label          varchar,                -- the member's name where the row carries it
    _day            date not null,          -- the day of the indicator's date column
    parts           bigint[] not null       -- the partial counts, in the catalogue's order
);

-- The source systems and when their extracts are expected (from the sources/ registry).
create table if not exists ref.source (
    source           varchar primary key,
    title_vi         varchar,
    title_en         varchar,
    cadence          varchar not null,      -- daily | monthly | quarterly | yearly
    due_days         integer not null,      -- an extract is on time if delivered within this many days after its period
    tracked_dataset  varchar not null
);

-- Where each pull from an API stands (e.g. sources/dvc/api.py Cursor, as JSON), saved in the
-- same transaction as the page it follows, so it never runs ahead of what was kept.
create table if not exists meta.pull_cursor (
    source      varchar not null,
    dataset     varchar not null,
    cursor      varchar not null,
    run_id      varchar not null,
    updated_at  timestamp not null,
    primary key (source, dataset)
);
