"""Tables derived from the facts when a snapshot is written: rollups for speed, and the precedence of imports.

`refresh(con)` (re)builds every derived table from the snapshot's facts. The build and every import call it in
the snapshot being written, before it becomes current, so derived tables always match their snapshot's facts
and the query cache (keyed by snapshot) never serves a stale row.

Precedence of imported reports. An imported aggregated report (region × period, from `observation`)
speaks for the records of the counties and months it covers. A record row counts unless a report covering it lies
wholly inside the bucket a query aggregates into (its place and its period); the report row then counts instead.
So the year 2022 of a prefecture whose 2022 report was imported shows the report, while one of its counties, or
one month of that year, keeps showing the records (demo rows, labelled). Every derived fact row carries:

    is_report                     the row is an imported report (region_code is the report's region)
    cover_start, cover_end        the period of the narrowest report that covers the row (a record row, or a report
                                  nested in a wider one: a county's month inside its prefecture's year); null: none
    cover_rank                    that report region's place rank (table place_level: 1 province, 2 prefecture,
                                  3 county)
    counts_from_rank              the rule in one column: cover_rank + 1, or 0 without a cover. A row counts in a
                                  place of rank R (table place_rank: 0 all of China … 3 county) when
                                  counts_from_rank <= R, i.e. the place is narrower than the report covering it

So every query writes the precedence the same way: yearly facts (one bucket per year)

    t.counts_from_rank <= p.rank

and the monthly dispute rollup, whose buckets [S, E] are any run of months (a report only speaks for a bucket that
wholly contains its period)

    m.month >= S and m.month_end <= E and (m.counts_from_rank <= p.rank or m.cover_start < S or m.cover_end > E)

with p the row of place_rank for the query's place (or of place_level for its sub-regions' level). Reports of one
domain must nest or be disjoint (the importer refuses partial overlaps), so the narrowest cover decides.
"""
from __future__ import annotations

import time

import duckdb

from . import reference, rules

DISPUTE_STAGES = ("dispute_identified", "dispute_accepted", "dispute_mediated", "dispute_resolved",
                  "dispute_followed_up")

# Reference rules the queries join (data/reference/*.csv), written with every snapshot so that one written before
# them is upgraded like any derived table (see `missing`).
RULE_FRAMES = {"place_level": reference.place_levels, "indicator_part": reference.indicator_parts,
               "campaign_phase": reference.campaign_phases}

# The rank of every place a query can ask about, '' (all of China) included: queries join it instead of ranking
# levels themselves.
PLACE_RANK = """
create or replace table place_rank as
select '' as code, rank from place_level where level = 'nation'
union all
select r.code, k.rank from region as r join place_level as k on k.level = r.level
order by code
"""

# One row per county, month and category from the case records (2.0 M rows at national scale, from 96 M cases),
# plus one row per imported dispute report; every funnel count a page asks for.
DISPUTE_MONTH = f"""
create or replace table dispute_month as
with records as (
    select
        province_code,
        prefecture_code,
        county_code,
        cast(date_trunc('month', identified_date) as date) as month,
        category,
        count(*) as identified,
        count(accepted_date) as accepted,
        count(mediated_date) as mediated,
        count(*) filter (where outcome = 'resolved') as resolved,
        count(followup_date) as followed_up,
        count(*) filter (where accepted_date is not null and outcome is null) as still_open,
        count(*) filter (where source = 'demo') as demo_cases,
    from dispute_case
    group by all
),
report as (  -- imported stage figures, one row per region and period
    select
        r.province_code,
        case when r.level <> 'province' then r.prefecture_code end as prefecture_code,
        case when r.level = 'county' then r.code end as county_code,
        r.code as region_code,
        k.rank,
        o.period_start,
        o.period_end,
        cast(max(o.value) filter (where o.indicator = 'dispute_identified') as bigint) as identified,
        cast(max(o.value) filter (where o.indicator = 'dispute_accepted') as bigint) as accepted,
        cast(max(o.value) filter (where o.indicator = 'dispute_mediated') as bigint) as mediated,
        cast(max(o.value) filter (where o.indicator = 'dispute_resolved') as bigint) as resolved,
        cast(max(o.value) filter (where o.indicator = 'dispute_followed_up') as bigint) as followed_up,
    from observation as o
    join region as r on r.code = o.region_code
    join place_level as k on k.level = r.level
    where o.source like 'import:%'
        and o.indicator in {DISPUTE_STAGES}
    group by all
),
report_cover as (  -- the narrowest other report that contains a report (nested reports: counted once)
    select a.region_code, a.period_start, a.period_end, b.period_start as cover_start, b.period_end as cover_end,
           b.rank as cover_rank
    from report as a
    join region as ra on ra.code = a.region_code
    join report as b
        on b.region_code in (ra.province_code, ra.prefecture_code, ra.code)
        and b.period_start <= a.period_start and b.period_end >= a.period_end
        and (b.region_code <> a.region_code or b.period_start <> a.period_start or b.period_end <> a.period_end)
    qualify row_number() over (partition by a.region_code, a.period_start, a.period_end
                               order by b.rank desc, b.period_end - b.period_start) = 1
),
cover as (  -- the county-months each report speaks for (the narrowest report, when reports are nested)
    select c.code as county_code, cast(m.month as date) as month, p.period_start as cover_start,
           p.period_end as cover_end, p.rank as cover_rank
    from report as p
    join region as c on c.level = 'county' and p.region_code in (c.province_code, c.prefecture_code, c.code)
    cross join generate_series(cast(date_trunc('month', p.period_start) as timestamp),
                               cast(p.period_end as timestamp), interval 1 month) as m(month)
    qualify row_number() over (partition by c.code, m.month order by p.rank desc, p.period_end - p.period_start)
        = 1
)
select
    d.province_code,
    d.prefecture_code,
    d.county_code,
    d.county_code as region_code,
    d.month,
    cast(last_day(d.month) as date) as month_end,
    d.category,
    d.identified,
    d.accepted,
    d.mediated,
    d.resolved,
    d.followed_up,
    d.still_open,
    d.demo_cases,
    false as is_report,
    v.cover_start,
    v.cover_end,
    v.cover_rank,
    cast(coalesce(v.cover_rank + 1, 0) as tinyint) as counts_from_rank,
from records as d
left join cover as v on v.county_code = d.county_code and v.month = d.month
union all
select
    p.province_code, p.prefecture_code, p.county_code, p.region_code,
    p.period_start, p.period_end, null, p.identified, p.accepted, p.mediated, p.resolved, p.followed_up, null, 0,
    true, c.cover_start, c.cover_end, c.cover_rank, cast(coalesce(c.cover_rank + 1, 0) as tinyint),
from report as p
left join report_cover as c using (region_code, period_start, period_end)
order by province_code, prefecture_code, county_code, month, category
"""

# Resolved cases counted by province, month, category, channel and days from acceptance to resolution
# (the distribution behind the median; records only: a report has no durations).
# Rows with province_code = '000000' hold all of China (the same counts summed over provinces: 634 K rows nationally
# against 7 M), so that a national question reads its own small slice.
DISPUTE_RESOLVE_DAYS = """
create or replace table dispute_resolve_days as
with by_province as (
    select
        province_code,
        cast(date_trunc('month', identified_date) as date) as month,
        category,
        channel,
        closed_date - accepted_date as days,
        count(*) as n,
        count(*) filter (where source = 'demo') as demo_cases,
    from dispute_case
    where outcome = 'resolved'
    group by all
)
select * from by_province
union all
select '000000' as province_code, month, category, channel, days, cast(sum(n) as bigint) as n,
    cast(sum(demo_cases) as bigint) as demo_cases
from by_province
group by all
order by province_code, month, category, channel, days
"""

def _stock_by_year(table: str, facts: str, counts: dict[str, str], demo: str, indicators: dict[str, str],
                   from_report: dict[str, str]) -> str:
    """SQL for a stock per county as of the end of each year, plus one row per imported report (the latest of its
    region and year), with the cover ranks of the precedence rule (see the module's docstring).

    counts: output column -> aggregate over the facts of one establishment year; demo: the column counting demo
    rows; indicators: catalog indicator -> name of its reported value; from_report: output column -> expression over
    those names (columns missing here are unknown, null, on report rows)."""
    cols = list(counts)
    yearly = "".join(f"\n        {expr} as {c}," for c, expr in counts.items())
    running = "".join(f"\n        cast(sum(coalesce(g.{c}, 0)) over w as bigint) as {c}," for c in cols + [demo])
    pivot = "".join(f"\n        max(l.value) filter (where l.indicator = '{i}') as {name},"
                    for i, name in indicators.items())
    reported = "".join(f"\n        cast({from_report[c]} as bigint) as {c}," if c in from_report else
                       f"\n        cast(null as bigint) as {c}," for c in cols)
    listed = ", ".join(f"d.{c}" for c in cols)
    listed_report = ", ".join(f"p.{c}" for c in cols)
    wanted = ", ".join(f"'{i}'" for i in indicators)
    return f"""
create or replace table {table} as
with bounds as (
    select
        min(established_year) as first_year,
        greatest(max(established_year),
                 coalesce((select max(year(period_end)) from observation where source like 'import:%'), 0),
                 coalesce((select max(year(cast(value as date))) from build_info where key = 'as_of'), 0))
            as last_year,
    from {facts}
),
yearly as (  -- established in each county and year
    select
        province_code, prefecture_code, county_code, established_year as year,{yearly}
        count(*) filter (where source = 'demo') as {demo},
    from {facts}
    group by all
),
county_years as (
    select c.province_code, c.prefecture_code, c.county_code, y.year
    from (select distinct province_code, prefecture_code, county_code from yearly) as c
    cross join bounds as b
    cross join generate_series(b.first_year, b.last_year) as y(year)
),
records as (  -- the stock at the end of each year: everything established up to it
    select
        k.province_code, k.prefecture_code, k.county_code, k.year,{running}
    from county_years as k
    left join yearly as g using (province_code, prefecture_code, county_code, year)
    window w as (partition by k.county_code order by k.year rows between unbounded preceding and current row)
),
latest as (  -- the latest imported report of each region, year and indicator
    select o.region_code, year(o.period_end) as year, o.indicator, arg_max(o.value, o.period_end) as value
    from observation as o
    where o.source like 'import:%'
        and o.indicator in ({wanted})
    group by all
),
report as (  -- one row per region and year, one column per reported indicator
    select
        r.province_code,
        case when r.level <> 'province' then r.prefecture_code end as prefecture_code,
        case when r.level = 'county' then r.code end as county_code,
        r.code as region_code,
        k.rank,
        l.year,{pivot}
    from latest as l
    join region as r on r.code = l.region_code
    join place_level as k on k.level = r.level
    group by all
),
report_rows as (
    select
        province_code, prefecture_code, county_code, region_code, rank, year,{reported}
    from report
),
cover as (  -- the narrowest report of the same year at or above a county
    select c.code as county_code, p.year, max(p.rank) as cover_rank
    from report_rows as p
    join region as c on c.level = 'county' and p.region_code in (c.province_code, c.prefecture_code, c.code)
    group by all
),
report_cover as (  -- ... and strictly above a report
    select a.region_code, a.year, max(b.rank) as cover_rank
    from report_rows as a
    join region as ra on ra.code = a.region_code
    join report_rows as b
        on b.year = a.year and b.region_code in (ra.province_code, ra.prefecture_code) and b.region_code <> a.region_code
    group by all
)
select
    d.province_code, d.prefecture_code, d.county_code, d.county_code as region_code, d.year,
    {listed}, d.{demo},
    false as is_report,
    v.cover_rank,
    cast(coalesce(v.cover_rank + 1, 0) as tinyint) as counts_from_rank,
from records as d
left join cover as v using (county_code, year)
union all
select
    p.province_code, p.prefecture_code, p.county_code, p.region_code, p.year,
    {listed_report}, 0,
    true, c.cover_rank, cast(coalesce(c.cover_rank + 1, 0) as tinyint),
from report_rows as p
left join report_cover as c using (region_code, year)
order by province_code, prefecture_code, county_code, year
"""


def _total_or_parts(total: str, names: dict[str, str]) -> str:
    """A report's total, or the sum of its parts (table indicator_part) when it leaves the total blank."""
    parts = reference.parts_of("sum")[total]
    return f"coalesce({names[total]}, {' + '.join(names[p] for p in parts)})"


def _beyond_parts(total: str, names: dict[str, str]) -> str:
    """What a total counts beyond its listed parts (rule at_least: the centres above county level)."""
    parts = reference.parts_of("at_least")[total]
    return " - ".join([names[total], *(names[p] for p in parts)])


_GRID_REPORTED = {"grid_count": "grid_count", "grid_comprehensive_count": "comprehensive_grids",
                  "grid_dedicated_count": "dedicated_grids", "grid_worker_count": "worker_count",
                  "grid_worker_fulltime": "workers_fulltime", "grid_worker_parttime": "workers_parttime",
                  "grid_without_worker_share": "without_worker_share"}
_FACILITY_REPORTED = {"center_count": "center_count", "center_county_count": "centers_county",
                      "center_township_count": "centers_township", "center_village_count": "centers_village",
                      "onestop_center_count": "onestop_centers", "police_room_count": "police_rooms",
                      "justice_office_count": "justice_offices", "people_tribunal_count": "tribunals"}

# Grid stock per county as of the end of each year (from the grids' establishment years), plus imported grid
# reports: a report's stock counts for the year its period ends in (the latest report of that year).
GRID_YEAR = _stock_by_year(
    "grid_year", "grid",
    counts={
        "grids": "count(*)",
        "comprehensive_grids": "count(*) filter (where grid_type = 'comprehensive')",
        "dedicated_grids": "count(*) filter (where grid_type = 'dedicated')",
        "workers": "sum(workers_fulltime + workers_parttime)",
        "workers_fulltime": "sum(workers_fulltime)",
        "workers_parttime": "sum(workers_parttime)",
        "grids_without_worker": "count(*) filter (where workers_fulltime + workers_parttime = 0)",
        "grid_residents": "sum(residents)",  # reports do not give it
    },
    demo="demo_grids",
    indicators=_GRID_REPORTED,
    from_report={
        "grids": _total_or_parts("grid_count", _GRID_REPORTED),
        "comprehensive_grids": "comprehensive_grids",
        "dedicated_grids": "dedicated_grids",
        "workers": _total_or_parts("grid_worker_count", _GRID_REPORTED),
        "workers_fulltime": "workers_fulltime",
        "workers_parttime": "workers_parttime",
        "grids_without_worker":
            f"round(without_worker_share * {_total_or_parts('grid_count', _GRID_REPORTED)} / 100.0)",
    })

# Facility stock likewise: the counts the grid page shows. Coverage and standardisation stay with the facility
# records (a reported rate cannot be added up across places without its denominator).
FACILITY_YEAR = _stock_by_year(
    "facility_year", "facility",
    counts={
        "centers_prefecture": "count(*) filter (where facility_type = 'center' and admin_level = 'prefecture')",
        "centers_county": "count(*) filter (where facility_type = 'center' and admin_level = 'county')",
        "centers_township": "count(*) filter (where facility_type = 'center' and admin_level = 'township')",
        "centers_village": "count(*) filter (where facility_type = 'center' and admin_level = 'village')",
        "onestop_centers": "count(*) filter (where facility_type = 'onestop')",
        "police_rooms": "count(*) filter (where facility_type = 'police_room')",
        "justice_offices": "count(*) filter (where facility_type = 'justice_office')",
        "tribunals": "count(*) filter (where facility_type = 'tribunal')",
    },
    demo="demo_facilities",
    indicators=_FACILITY_REPORTED,
    from_report={
        # the prefecture-level centres are what the total leaves after the levels below it
        "centers_prefecture": _beyond_parts("center_count", _FACILITY_REPORTED),
        **{c: c for c in ("centers_county", "centers_township", "centers_village", "onestop_centers",
                          "police_rooms", "justice_offices", "tribunals")},
    })

# The backlog on any day without reading every case. A case is "short" when it closed within T days of registration,
# T the backlog threshold (rules.BACKLOG_OVER_DAYS) (98% of them): it can only be open on day D if registered after
# D − T, so it is never over the threshold and always inside a three-year window; open short cases per county and
# day are a running sum of acceptances minus closures (6.2 M rows nationally). The others (never closed, or closed
# more than T days after registration: 1.9 M of 96 M nationally) are kept case by case, so any question about age
# or registration date is asked of them exactly.
DISPUTE_OPEN_DAILY = f"""
create or replace table dispute_open_daily as
with short as (
    select county_code, accepted_date, closed_date
    from dispute_case
    where accepted_date is not null
        and closed_date is not null
        and closed_date - identified_date <= {rules.BACKLOG_OVER_DAYS}
),
change as (
    select county_code, day, sum(delta) as delta
    from (
        select county_code, accepted_date as day, count(*) as delta from short group by all
        union all
        select county_code, closed_date as day, -count(*) as delta from short group by all
    )
    group by all
),
county as (
    select distinct province_code, prefecture_code, county_code from dispute_case
),
bounds as (
    select
        min(accepted_date) as first_day,
        greatest(max(closed_date), max(accepted_date),
                 coalesce((select max(cast(value as date)) from build_info where key = 'as_of'), max(accepted_date)))
            as last_day,
    from dispute_case
),
days as (
    select cast(d.day as date) as day
    from bounds as b
    cross join generate_series(cast(b.first_day as timestamp), cast(b.last_day as timestamp), interval 1 day)
        as d(day)
)
select
    c.province_code,
    c.prefecture_code,
    c.county_code,
    d.day,
    cast(sum(coalesce(x.delta, 0)) over (partition by c.county_code order by d.day
                                        rows between unbounded preceding and current row) as bigint) as open_short,
from county as c
cross join days as d
left join change as x on x.county_code = c.county_code and x.day = d.day
order by c.province_code, c.prefecture_code, c.county_code, d.day
"""

DISPUTE_LONG_OPEN = f"""
create or replace table dispute_long_open as
select case_id, province_code, prefecture_code, county_code, grid_id, category, channel, identified_date,
       accepted_date, mediated_date, closed_date, source
from dispute_case
where accepted_date is not null
    and (closed_date is null or closed_date - identified_date > {rules.BACKLOG_OVER_DAYS})
order by province_code, prefecture_code, county_code, identified_date
"""

# Which published figures claim every year of their period (rules.EVERY_YEAR), as a column the queries read.
PUBLISHED_EVERY_YEAR = f"""
alter table published_figure add column if not exists holds_every_year boolean;
update published_figure set holds_every_year = qualifier in {tuple(rules.EVERY_YEAR)}
"""

# The backlog threshold as data of the snapshot, so that every query (and the SQL page) reads the same number.
BACKLOG_RULE = f"""
create or replace table backlog_rule as
select cast({rules.BACKLOG_OVER_DAYS} as integer) as over_days
"""

DERIVED = {"backlog_rule": BACKLOG_RULE, "dispute_month": DISPUTE_MONTH, "dispute_resolve_days": DISPUTE_RESOLVE_DAYS, "grid_year": GRID_YEAR,
           "facility_year": FACILITY_YEAR, "dispute_open_daily": DISPUTE_OPEN_DAILY,
           "dispute_long_open": DISPUTE_LONG_OPEN}

# Yearly facts take yearly reports as rows of their own (whole calendar years only: the importer refuses other
# periods for these indicators). Columns added here too, so that a snapshot written before them is upgraded.
ANNUAL_COLUMNS = """
alter table {t} add column if not exists region_code varchar;
alter table {t} add column if not exists is_report boolean default false;
alter table {t} add column if not exists cover_rank tinyint;
alter table {t} add column if not exists counts_from_rank tinyint default 0;
alter table {t} alter column county_code drop not null;
alter table {t} alter column prefecture_code drop not null;
delete from {t} where is_report;
update {t} set region_code = county_code, is_report = false where region_code is null or is_report is null;
"""

ANNUAL_REPORTS = {
    # base anti-gang tallies only: the sums (集团+团伙, 合计: table indicator_part) are derived by the queries from
    # their parts; the phase of a year is table campaign_phase's (the phase without years holds every other year)
    "antigang_tally": """
insert into antigang_tally by name
select
    r.province_code,
    case when r.level <> 'province' then r.prefecture_code end as prefecture_code,
    case when r.level = 'county' then r.code end as county_code,
    year(o.period_start) as year,
    coalesce(c.phase, (select phase from campaign_phase where first_year is null)) as phase,
    o.indicator,
    cast(round(o.value) as bigint) as value,
    o.source,
    r.code as region_code,
    true as is_report,
from observation as o
join region as r on r.code = o.region_code
join indicator as i on i.code = o.indicator
left join campaign_phase as c on year(o.period_start) between c.first_year and c.last_year
where o.source like 'import:%'
    and i.domain = 'anti_gang'
    and o.indicator not in (select total from indicator_part where rule = 'sum')
    and o.period_start = make_date(year(o.period_start), 1, 1)
    and o.period_end = make_date(year(o.period_start), 12, 31)
""",
    # a rate and its sample size: positive answers = rate × sample size, rounded
    "survey_result": """
insert into survey_result by name
select
    r.province_code,
    case when r.level <> 'province' then r.prefecture_code end as prefecture_code,
    case when r.level = 'county' then r.code end as county_code,
    year(o.period_start) as year,
    o.indicator,
    n.sample_size,
    cast(round(o.value * n.sample_size / 100.0) as integer) as positive,
    o.source,
    r.code as region_code,
    true as is_report,
from observation as o
join observation_sample as n using (region_code, period_start, period_end, indicator, source)
join region as r on r.code = o.region_code
where o.source like 'import:%'
    and o.indicator like 'sat\_%' escape '\\'
    and o.period_start = make_date(year(o.period_start), 1, 1)
    and o.period_end = make_date(year(o.period_start), 12, 31)
""",
}

# The narrowest report of the same year and indicator at the row's region or above it (reports: strictly above).
ANNUAL_COVER = """
update {t} as t
set cover_rank = c.rank, counts_from_rank = c.rank + 1
from (
    select t.rowid as id, max(k.rank) as rank
    from {t} as t
    join {t} as p
        on p.is_report
        and p.year = t.year
        and p.indicator = t.indicator
        and p.region_code in (t.province_code, t.prefecture_code, t.county_code)
        and (not t.is_report or p.region_code <> t.region_code)
    join region as r on r.code = p.region_code
    join place_level as k on k.level = r.level
    where exists (select 1 from {t} where is_report)
    group by t.rowid
) as c
where t.rowid = c.id
"""


# Bump when a derived table's definition changes: snapshots written with another version are upgraded at start.
VERSION = "10"  # 10: rule tables (place_level, place_rank, indicator_part, campaign_phase), counts_from_rank


def refresh(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Rebuild every derived table in the snapshot `con` writes; returns seconds per table."""
    took = {}
    for table, frame in RULE_FRAMES.items():  # a few rows each: not timed
        con.register("_rule", frame().to_arrow())
        try:
            con.execute(f"create or replace table {table} as select * from _rule")
        finally:
            con.unregister("_rule")
    con.execute(PLACE_RANK)
    con.execute(PUBLISHED_EVERY_YEAR)
    for table, insert in ANNUAL_REPORTS.items():
        t0 = time.perf_counter()
        con.execute(ANNUAL_COLUMNS.format(t=table))
        con.execute(f"update {table} set cover_rank = null, counts_from_rank = 0 where cover_rank is not null")
        con.execute(insert)
        con.execute(ANNUAL_COVER.format(t=table))
        took[table] = round(time.perf_counter() - t0, 2)
    for name, sql in DERIVED.items():
        t0 = time.perf_counter()
        con.execute(sql)
        took[name] = round(time.perf_counter() - t0, 2)
    con.execute("insert or replace into build_info values ('derived_version', ?)", [VERSION])
    return took


def missing(con) -> list[str]:
    """Derived tables (and derived columns) a snapshot lacks or holds in an older definition."""
    version = con.execute("select max(value) from build_info where key = 'derived_version'").fetchone()[0]
    tables = [*RULE_FRAMES, "place_rank", *DERIVED]
    if version != VERSION:
        return tables + list(ANNUAL_REPORTS) + ["published_figure"]
    have = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    cols = set(con.execute("select table_name, column_name from information_schema.columns "
                           "where column_name in ('counts_from_rank', 'holds_every_year')").fetchall())
    return ([t for t in tables if t not in have]
            + [t for t in ANNUAL_REPORTS if (t, "counts_from_rank") not in cols]
            + [t for t in ("published_figure",) if (t, "holds_every_year") not in cols])
