-- How much of each fact table in a place and period is demo data and how much was imported
-- grain: one row per fact table (stocks — grids, facilities — as of the end of the period)
-- params: $region (six-digit code or ''), $start, $end (inclusive dates)
-- Dispute cases over whole months (every period a page offers) are counted from the rollup dispute_month (one row per
-- county, month and category: 2 M rows for 96 M cases nationally; record rows only, not imported reports); a period
-- with part of a month counts the cases themselves. The two branches exclude each other by the parameters alone, so
-- DuckDB plans only the one that applies. A case's source is 'demo' or 'import:<load id>', so imported = all − demo.
with fact_table (fact_table, position) as (
    values ('dispute_case', 1), ('grid', 2), ('facility', 3), ('antigang_tally', 4), ('survey_result', 5),
           ('observation', 6)
),
fact_row as (  -- the source of every row in scope, whichever table it is in
    select 'dispute_case' as fact_table, source
    from dispute_case
    where not (extract(day from $start) = 1 and $end = last_day($end))
        and ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and identified_date between $start and $end
    union all
    select 'grid', source
    from grid
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and established_year <= extract(year from cast($end as date))
    union all
    select 'facility', source
    from facility
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and established_year <= extract(year from cast($end as date))
    union all
    select 'antigang_tally', source
    from antigang_tally
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and year between extract(year from cast($start as date)) and extract(year from cast($end as date))
    union all
    select 'survey_result', source
    from survey_result
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and year between extract(year from cast($start as date)) and extract(year from cast($end as date))
    union all
    select 'observation', o.source  -- reports of the place itself or of any region inside it
    from observation as o
    join region as r on r.code = o.region_code
    where ($region = '' or r.province_code = $region or r.prefecture_code = $region or r.code = $region)
        and o.period_start <= $end
        and o.period_end >= $start
),
counted as (
    select
        fact_table,
        count(*) as rows_total,
        count(*) filter (where source = 'demo') as rows_demo,
        count(*) filter (where source like 'import:%') as rows_imported,
    from fact_row
    group by fact_table
    union all
    select
        'dispute_case' as fact_table,
        cast(sum(identified) as bigint) as rows_total,
        sum(demo_cases) as rows_demo,
        cast(sum(identified) as bigint) - sum(demo_cases) as rows_imported,
    from dispute_month
    where extract(day from $start) = 1
        and $end = last_day($end)
        and not is_report
        and ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and month between $start and $end
    having count(*) > 0
)
select
    t.fact_table,
    coalesce(c.rows_total, 0) as rows_total,
    coalesce(c.rows_demo, 0) as rows_demo,
    coalesce(c.rows_imported, 0) as rows_imported,
from fact_table as t
left join counted as c on c.fact_table = t.fact_table
order by t.position
