-- Survey indices of each sub-region of a place in every survey year (trend lines and streaks)
-- grain: one row per sub-region, survey year and index
-- params: $region (six-digit code or ''), $child_level (province | prefecture | county)
with child_rank as (  -- imported reports at the sub-regions' level or below count, wider ones do not
    select max(rank) as level_rank from place_level where level = $child_level
),
child as (
    select code, short_name
    from region
    where level = $child_level
        and in_scope
        and ($region = '' or province_code = $region or prefecture_code = $region or code = $region)
),
by_year as (
    select
        case $child_level when 'province' then s.province_code
                          when 'prefecture' then s.prefecture_code
                          else s.county_code end as code,
        s.year,
        s.indicator,
        sum(s.positive) as positive,
        sum(s.sample_size) as sample_size
    from survey_result as s
    cross join child_rank as k
    where ($region = '' or s.province_code = $region or s.prefecture_code = $region or s.county_code = $region)
        and s.counts_from_rank <= k.level_rank
    group by 1, 2, 3
)
select
    c.code,
    c.short_name,
    y.year,
    y.indicator,
    y.positive,
    y.sample_size,
    100.0 * y.positive / y.sample_size as rate_pct
from by_year as y
join child as c on c.code = y.code
order by y.indicator, c.code, y.year
