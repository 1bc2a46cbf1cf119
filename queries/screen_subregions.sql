-- Each sub-region's headline figures for the wall: dispute success, volume, backlog, safety, campaign per 10万
-- grain: one row per sub-region of the place (has_demo: some figure of the row is demo data; the backlog is
--        counted from case records only)
-- params: $region (six-digit code or ''), $child_level (province | prefecture | county), $start, $end, $year,
--         $as_of (date open cases are aged at)
with child as (
    select code, short_name, name, population
    from region
    where level = $child_level
        and in_scope
        and ($region = '' or province_code = $region or prefecture_code = $region or code = $region)
),
child_population as (  -- a prefecture's or province's population is the sum of its counties
    select
        case $child_level when 'province' then province_code
                          when 'prefecture' then prefecture_code
                          else code end as code,
        sum(population) as population,
    from region
    where level = 'county'
        and ($region = '' or province_code = $region or prefecture_code = $region or code = $region)
    group by 1
),
disputes as (  -- from the monthly rollup, imported reports first (see disputes_success_by_subregion)
    select
        case $child_level when 'province' then m.province_code
                          when 'prefecture' then m.prefecture_code
                          else m.county_code end as code,
        sum(m.identified) as identified,
        case when count(*) filter (where m.resolved is null) = 0 then sum(m.resolved) end as resolved,
        bool_or(m.demo_cases > 0) as has_demo,
    from dispute_month as m
    where ($region = '' or m.province_code = $region or m.prefecture_code = $region or m.county_code = $region)
        and m.month >= $start
        and m.month_end <= $end
        and (m.counts_from_rank <= (select max(rank) from place_level where level = $child_level)
             or m.cover_start < $start or m.cover_end > $end)
    group by 1
),
backlog as (  -- open on $as_of: short cases from the daily running count, the rest case by case (rollups.py)
    select code, sum(open_cases) as open_cases, sum(open_over_90d) as open_over_90d
    from (
        select
            case $child_level when 'province' then province_code
                              when 'prefecture' then prefecture_code
                              else county_code end as code,
            open_short as open_cases,
            0 as open_over_90d,
        from dispute_open_daily
        where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
            and day = $as_of
        union all
        select
            case $child_level when 'province' then province_code
                              when 'prefecture' then prefecture_code
                              else county_code end as code,
            count(*),
            count(*) filter (where $as_of - accepted_date > b.over_days),  -- overdue: table backlog_rule
        from dispute_long_open
        cross join backlog_rule as b
        where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
            and accepted_date <= $as_of
            and (closed_date is null or closed_date > $as_of)
            and identified_date >= $as_of - interval 3 year
        group by 1
    ) as open_parts
    group by code
),
safety as (
    select
        case $child_level when 'province' then province_code
                          when 'prefecture' then prefecture_code
                          else county_code end as code,
        100.0 * sum(positive) / sum(sample_size) as safety_pct,
        bool_or(source = 'demo') as has_demo,
    from survey_result
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and counts_from_rank <= (select max(rank) from place_level where level = $child_level)
        and indicator = 'sat_public_safety'
        and year = $year
    group by 1
),
campaign as (
    select
        case $child_level when 'province' then province_code
                          when 'prefecture' then prefecture_code
                          else county_code end as code,
        sum(value) as gangs,
        bool_or(source = 'demo') as has_demo,
    from antigang_tally
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and counts_from_rank <= (select max(rank) from place_level where level = $child_level)
        and indicator in (select part from indicator_part where total = 'ag_gang_total' and rule = 'sum')
        and year between year($start) and year($end)
    group by 1
)
select
    c.code,
    c.short_name,
    coalesce(d.identified, 0) as identified,
    100.0 * d.resolved / nullif(d.identified, 0) as success_rate_pct,
    coalesce(b.open_cases, 0) as open_cases,
    coalesce(b.open_over_90d, 0) as open_over_90d,
    s.safety_pct,
    coalesce(g.gangs, 0) as gangs,
    100000.0 * coalesce(g.gangs, 0) / nullif(p.population, 0) as gangs_per_100k,
    coalesce(d.has_demo or s.has_demo or g.has_demo, false) as has_demo,  -- some figure of the row is demo data
from child as c
left join child_population as p on p.code = c.code
left join disputes as d on d.code = c.code
left join backlog as b on b.code = c.code
left join safety as s on s.code = c.code
left join campaign as g on g.code = c.code
order by c.code
