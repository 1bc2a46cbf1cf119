-- How much of each fact table in a place and period is demo data and how much was imported
-- grain: one row per fact table (stocks — grids, facilities — as of the end of the period)
-- params: $region (six-digit code or ''), $start, $end (inclusive dates)
with cases as (
    select
        'dispute_case' as fact_table,
        count(*) as rows_total,
        count(*) filter (where source = 'demo') as rows_demo,
        count(*) filter (where source like 'import:%') as rows_imported,
    from dispute_case
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and identified_date between $start and $end
),
grids as (
    select
        'grid' as fact_table,
        count(*) as rows_total,
        count(*) filter (where source = 'demo') as rows_demo,
        count(*) filter (where source like 'import:%') as rows_imported,
    from grid
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and established_year <= extract(year from cast($end as date))
),
facilities as (
    select
        'facility' as fact_table,
        count(*) as rows_total,
        count(*) filter (where source = 'demo') as rows_demo,
        count(*) filter (where source like 'import:%') as rows_imported,
    from facility
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and established_year <= extract(year from cast($end as date))
),
tallies as (
    select
        'antigang_tally' as fact_table,
        count(*) as rows_total,
        count(*) filter (where source = 'demo') as rows_demo,
        count(*) filter (where source like 'import:%') as rows_imported,
    from antigang_tally
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and year between extract(year from cast($start as date)) and extract(year from cast($end as date))
),
surveys as (
    select
        'survey_result' as fact_table,
        count(*) as rows_total,
        count(*) filter (where source = 'demo') as rows_demo,
        count(*) filter (where source like 'import:%') as rows_imported,
    from survey_result
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and year between extract(year from cast($start as date)) and extract(year from cast($end as date))
),
observations as (  -- reports of the place itself or of any region inside it, overlapping the period
    select
        'observation' as fact_table,
        count(*) as rows_total,
        count(*) filter (where o.source = 'demo') as rows_demo,
        count(*) filter (where o.source like 'import:%') as rows_imported,
    from observation as o
    join region as r on r.code = o.region_code
    where ($region = '' or r.province_code = $region or r.prefecture_code = $region or r.code = $region)
        and o.period_start <= $end
        and o.period_end >= $start
)
select * from cases
union all select * from grids
union all select * from facilities
union all select * from tallies
union all select * from surveys
union all select * from observations
