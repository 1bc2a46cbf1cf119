-- How much of each fact table in a place and period is demo data and how much was imported
-- grain: one row per fact table (stocks — grids, facilities — as of the end of the period)
-- params: $region (six-digit code or ''), $start, $end (inclusive dates)
with fact_table (fact_table, position) as (
    values ('dispute_case', 1), ('grid', 2), ('facility', 3), ('antigang_tally', 4), ('survey_result', 5),
           ('observation', 6)
),
fact_row as (  -- the source of every row in scope, whichever table it is in
    select 'dispute_case' as fact_table, source
    from dispute_case
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
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
)
select
    t.fact_table,
    coalesce(c.rows_total, 0) as rows_total,
    coalesce(c.rows_demo, 0) as rows_demo,
    coalesce(c.rows_imported, 0) as rows_imported,
from fact_table as t
left join counted as c on c.fact_table = t.fact_table
order by t.position
