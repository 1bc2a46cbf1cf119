-- Disputes registered and resolved per month over the wall's trend window, with the same month a year before
-- grain: one row per month from $start to $end
-- params: $region (six-digit code or ''), $start, $end (the window, whole months; a year before it is read too)
-- Reads the monthly rollup dispute_month (pingan/rollups.py); precedence as in disputes_monthly_trend.
with place as (  -- the place's rank (table place_rank)
    select max(rank) as level_rank
    from place_rank
    where code = $region
),
monthly as (
    select
        m.month,
        sum(m.identified) as identified,
        sum(m.resolved) as resolved,
        bool_or(m.demo_cases > 0) as has_demo,
    from dispute_month as m
    cross join place as p
    where ($region = '' or m.province_code = $region or m.prefecture_code = $region or m.county_code = $region)
        and m.month >= cast($start - interval 1 year as date)
        and m.month_end <= $end
        and (not m.is_report or m.month_end = last_day(m.month))
        and (m.counts_from_rank <= p.level_rank or m.cover_start < m.month or m.cover_end > last_day(m.month))
    group by m.month
)
select
    cast(cur.month as timestamp) as month,
    cur.identified,
    cur.resolved,
    100.0 * cur.resolved / nullif(cur.identified, 0) as success_rate_pct,
    prev.identified as identified_year_before,
    cur.has_demo,
from monthly as cur
left join monthly as prev on prev.month = cur.month - interval 1 year
where cur.month >= date_trunc('month', cast($start as date))
order by cur.month
