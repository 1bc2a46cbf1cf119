-- Anti-gang tallies for a place over a span of years, base and derived indicators
-- grain: one row per indicator
-- params: $region (six-digit code or ''), $first_year, $last_year (inclusive)
with place as (  -- 0 all of China, 1 province, 2 prefecture, 3 county: imported reports at this level or below count
    select coalesce(max(case level when 'province' then 1 when 'prefecture' then 2 else 3 end), 0) as level_rank
    from region
    where code = $region
),
base as (
    select
        indicator,
        sum(value) as value,
        bool_or(source = 'demo') as has_demo,
    from antigang_tally
    cross join place
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and year between $first_year and $last_year
        and (cover_rank is null or cover_rank < place.level_rank)
    group by indicator
),
derived as (
    select 'ag_evil_group_gang' as indicator, sum(value) as value, bool_or(has_demo) as has_demo
    from base where indicator in ('ag_evil_group', 'ag_evil_gang')
    union all
    select 'ag_gang_total', sum(value), bool_or(has_demo)
    from base where indicator in ('ag_black_org', 'ag_evil_group', 'ag_evil_gang')
)
select
    u.indicator,
    i.name_zh,
    i.name_en,
    i.unit,
    coalesce(u.value, 0) as value,
    u.has_demo,
from (select * from base union all select * from derived) as u
join indicator as i on i.code = u.indicator
order by u.indicator
