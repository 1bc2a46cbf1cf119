-- Disputes identified and resolved per month, with the same month a year earlier
-- grain: one row per calendar month from $start to $end that has cases
-- params: $region (six-digit code or ''), $start, $end (inclusive dates, whole months), $ya_start ($start a year
--         earlier: the scan starts there so that every month has its year-ago figures), $category (code or '' = all)
-- Reads the monthly rollup dispute_month (pingan/rollups.py). Precedence: a monthly report replaces the records of
-- its place and month; a report over several months cannot be split into months, so the records stay.
with place as (  -- the place's rank (table place_rank)
    select max(rank) as level_rank
    from place_rank
    where code = $region
),
by_month as (
    select
        m.month,
        sum(m.identified) as identified,
        sum(m.resolved) as resolved,
    from dispute_month as m
    cross join place as p
    where ($region = '' or m.province_code = $region or m.prefecture_code = $region or m.county_code = $region)
        and m.month >= $ya_start
        and m.month_end <= $end
        and ($category = '' or m.category = $category)
        and (not m.is_report or m.month_end = last_day(m.month))
        and ($category <> '' or m.counts_from_rank <= p.level_rank or m.cover_start < m.month
             or m.cover_end > last_day(m.month))
    group by m.month
)
select
    m.month as month_start,
    m.identified,
    m.resolved,
    100.0 * m.resolved / nullif(m.identified, 0) as success_rate_pct,
    y.identified as ya_identified,
    100.0 * y.resolved / nullif(y.identified, 0) as ya_success_rate_pct,
    100.0 * (m.identified - y.identified) / nullif(y.identified, 0) as yoy_pct,
from by_month as m
left join by_month as y on y.month = m.month - interval 1 year
where m.month >= $start
order by month_start
