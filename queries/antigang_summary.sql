-- Anti-gang tallies for a place over a span of years, base and derived indicators
-- grain: one row per indicator
-- params: $region (six-digit code or ''), $first_year, $last_year (inclusive)
with place as (  -- the place's rank (table place_rank): imported reports at this level or below count
    select max(rank) as level_rank
    from place_rank
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
        and counts_from_rank <= place.level_rank
    group by indicator
),
derived as (  -- the sums (集团+团伙, 合计) added up from their parts (table indicator_part)
    select s.total as indicator, sum(b.value) as value, bool_or(b.has_demo) as has_demo
    from indicator_part as s
    join indicator as i on i.code = s.total and i.domain = 'anti_gang'
    left join base as b on b.indicator = s.part  -- a sum of no counted rows is still a row (value 0)
    where s.rule = 'sum'
    group by s.total
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
