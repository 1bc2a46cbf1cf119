-- Survey indices of each sub-region of a place in one year, beside the year before, with both years' ranks
-- grain: one row per sub-region and index with survey data in $year
-- params: $region (six-digit code or ''), $child_level (province | prefecture | county), $year
-- Ranks are by point estimate among the sub-regions surveyed that year (1 = highest); the page widens them
-- into rank ranges where the intervals overlap.
with child_rank as (  -- imported reports at the sub-regions' level or below count, wider ones do not
    select max(rank) as level_rank from place_level where level = $child_level
),
child as (
    select code, short_name, name
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
        sum(s.sample_size) as sample_size,
        bool_or(s.source = 'demo') as has_demo
    from survey_result as s
    cross join child_rank as k
    where ($region = '' or s.province_code = $region or s.prefecture_code = $region or s.county_code = $region)
        and s.counts_from_rank <= k.level_rank
        and s.year between $year - 1 and $year
    group by 1, 2, 3
),
ranked as (
    select
        y.*,
        100.0 * y.positive / y.sample_size as rate_pct,
        rank() over (partition by y.year, y.indicator order by 1.0 * y.positive / y.sample_size desc) as rank
    from by_year as y
    join child as c on c.code = y.code
)
select
    c.code,
    c.short_name,
    c.name,
    cur.indicator,
    cur.positive,
    cur.sample_size,
    cur.rate_pct,
    cur.rank,
    count(*) over (partition by cur.indicator) as regions,
    prev.positive as prev_positive,
    prev.sample_size as prev_sample_size,
    prev.rate_pct as prev_rate_pct,
    prev.rank as prev_rank,
    cur.has_demo
from ranked as cur
join child as c on c.code = cur.code
left join ranked as prev
    on prev.code = cur.code
    and prev.indicator = cur.indicator
    and prev.year = cur.year - 1
where cur.year = $year
order by cur.indicator, cur.rank, c.code
