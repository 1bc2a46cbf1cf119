-- Warehouse schema: dimensions, facts, published figures. One DuckDB file per snapshot.
-- Every fact row carries `source`: 'demo' (generated), 'import:<load id>' (an uploaded report) or
-- 'published' (a figure quoted from the seed documents). Fact tables repeat the province, prefecture
-- and county codes so that a region filter is a plain equality on a sorted column (zone maps prune).

create table region (
    code            varchar primary key,   -- GB/T 2260 six-digit code
    name            varchar not null,      -- full name: 大理白族自治州
    short_name      varchar not null,      -- the form documents use: 大理州
    level           varchar not null,      -- province | prefecture | county
    parent_code     varchar,
    province_code   varchar not null,
    prefecture_code varchar,               -- null for provinces
    lon             double,
    lat             double,
    population      bigint,                -- 2020 census resident population
    urban_share     double,
    area_km2        double,
    geom_source     varchar,               -- polygon | parent
    in_scope        boolean not null
);

create table region_alias (
    alias varchar not null,
    code  varchar not null,
    level varchar not null
);

create table township (
    code            varchar primary key,   -- 9 or 12 digits, as in the code list
    name            varchar not null,
    county_code     varchar not null,
    prefecture_code varchar not null,
    province_code   varchar not null,
    villages        integer not null,      -- villages and communities (demo estimate)
    source          varchar not null
);

create table indicator (
    code          varchar primary key,
    domain        varchar not null,        -- grid | disputes | anti_gang | satisfaction
    name_zh       varchar not null,
    name_en       varchar not null,
    unit          varchar not null,
    direction     varchar not null,        -- higher | lower (which way is better)
    target        double,
    definition_zh varchar not null
);

create table dispute_category (
    code    varchar primary key,
    name_zh varchar not null,
    name_en varchar not null
);

create table dispute_channel (
    code    varchar primary key,
    name_zh varchar not null,
    name_en varchar not null
);

-- One row per grid (网格), current stock; established_year lets a period ask "as of year Y".
create table grid (
    grid_id           bigint primary key,
    province_code     varchar not null,
    prefecture_code   varchar not null,
    county_code       varchar not null,
    township_code     varchar,
    grid_type         varchar not null,    -- comprehensive (综合) | dedicated (专属)
    established_year  integer not null,
    residents         integer not null,
    workers_fulltime  integer not null,
    workers_parttime  integer not null,
    lon               double,
    lat               double,
    source            varchar not null
);

-- One row per facility: 综治中心 (by level), 一站式矛盾纠纷调解中心, 警务室, 司法所, 人民法庭.
create table facility (
    facility_id       bigint primary key,
    province_code     varchar not null,
    prefecture_code   varchar not null,
    county_code       varchar not null,
    township_code     varchar,
    facility_type     varchar not null,    -- center | onestop | police_room | justice_office | tribunal
    admin_level       varchar not null,    -- prefecture | county | township | village
    standardized      boolean not null,    -- 规范化 (passed the standardisation check)
    established_year  integer not null,
    name              varchar not null,
    lon               double,
    lat               double,
    source            varchar not null
);

-- One row per dispute case; stages are the dates it reached. A case belongs to the period of its
-- identified_date (登记日期). outcome: resolved | failed | withdrawn, null while open.
create table dispute_case (
    case_id           bigint primary key,
    province_code     varchar not null,
    prefecture_code   varchar not null,
    county_code       varchar not null,
    grid_id           bigint,
    category          varchar not null,
    channel           varchar not null,
    identified_date   date not null,
    accepted_date     date,
    mediated_date     date,
    closed_date       date,
    outcome           varchar,
    followup_date     date,
    source            varchar not null
);

-- Anti-gang campaign tallies by county, year and indicator (base indicators only; sums are derived).
-- Imported yearly reports are rows too (is_report; region_code is the report's region, county_code and
-- prefecture_code are null above that level); cover_rank says which report covers a row (pingan/rollups.py):
-- a query for a place of rank R (0 all, 1 province, 2 prefecture, 3 county) counts a row unless cover_rank >= R.
create table antigang_tally (
    province_code   varchar not null,
    prefecture_code varchar,
    county_code     varchar,
    year            integer not null,
    phase           varchar not null,      -- special (专项斗争) | routine (常态化): table campaign_phase
    indicator       varchar not null,
    value           bigint not null,
    source          varchar not null,
    region_code     varchar,               -- the county, or the region of an imported report
    is_report       boolean not null default false,
    cover_rank      tinyint                -- level of the narrowest report covering the row (null: none)
);

-- Survey results: respondents and positive answers per county, year and index (imported reports as above).
create table survey_result (
    province_code   varchar not null,
    prefecture_code varchar,
    county_code     varchar,
    year            integer not null,
    indicator       varchar not null,
    sample_size     integer not null,
    positive        integer not null,
    source          varchar not null,
    region_code     varchar,
    is_report       boolean not null default false,
    cover_rank      tinyint
);

-- Aggregated reports (region x period x indicator) as imported; pingan/rollups.py carries them into the
-- facts that pages read (dispute_month, antigang_tally, survey_result).
create table observation (
    region_code   varchar not null,
    province_code varchar not null,
    period_start  date not null,
    period_end    date not null,
    indicator     varchar not null,
    value         double not null,
    source        varchar not null
);

create table published_figure (
    figure_id    varchar primary key,
    article      varchar not null,
    region_code  varchar not null,
    region_name  varchar not null,
    indicator    varchar not null,
    value        double not null,
    unit         varchar not null,
    qualifier    varchar not null,
    period_start date not null,
    period_end   date not null,
    calibrated   boolean not null,
    quote        varchar not null,
    decimals     integer not null,      -- decimals as published: reconciliation compares at this precision
    -- A warehouse value v matches the figure when match_from <= v < match_below (match_below null: no upper
    -- bound). Computed by pingan.rules.figure_bounds from value, qualifier and decimals (data/published/README.md).
    match_from   double not null,
    match_below  double
);

-- What this snapshot was built from (one row per build or import step).
create table build_info (
    key   varchar primary key,
    value varchar not null
);

-- Tables an import writes (created empty here so every snapshot has them; see pingan/importer.py).
create table import_coverage (      -- which (region, period, indicator) are real, not demo
    region_code     varchar not null,
    level           varchar not null,
    province_code   varchar not null,
    prefecture_code varchar,
    county_code     varchar,
    period_start    date not null,
    period_end      date not null,
    indicator       varchar not null,
    target_table    varchar not null,              -- observation | dispute_case
    source          varchar not null
);
create table observation_sample (   -- survey sample size behind an imported rate
    region_code  varchar not null,
    period_start date not null,
    period_end   date not null,
    indicator    varchar not null,
    sample_size  integer not null,
    source       varchar not null
);
create table dispute_case_number (  -- the county's own case number of an imported case
    case_id     bigint not null,
    county_code varchar not null,
    case_number varchar not null,
    source      varchar not null
);


create table import_load (
    load_id           varchar not null,
    loaded_at         timestamp not null,
    who               varchar not null,
    via               varchar not null,     -- page | cli
    mode              varchar not null,     -- all | valid_only
    file_name         varchar not null,
    sha256            varchar not null,
    bytes             bigint not null,
    kind              varchar not null,     -- observation | dispute_case | mixed
    rows_loaded       bigint not null,
    rows_rejected     bigint not null,
    demo_rows_replaced bigint not null,
    snapshot          varchar not null,
    previous_snapshot varchar
);

-- Derived tables (dispute_month, dispute_resolve_days) are created by pingan/rollups.py at the end of a build and
-- after every import.
