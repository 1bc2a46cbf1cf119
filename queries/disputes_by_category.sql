-- Disputes by category: counts, share, success rate and growth on the same period a year earlier
-- grain: one row per dispute category (all ten, with or without cases); has_demo is the same on every row
-- params: $region (six-digit code or ''), $start, $end, $ya_start, $ya_end (inclusive dates, whole months; ya = a year
--         earlier)
-- Reads the case records' monthly rollup dispute_month (pingan/rollups.py); imported reports have no category.
with cases as (  -- case records only: reports have no category
    select
        category,
        month >= $start and month_end <= $end as in_period,
        month >= $ya_start and month_end <= $ya_end as in_year_ago,  -- may overlap a multi-year period
        identified,
        resolved,
        demo_cases,
    from dispute_month
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and not is_report
        and ((month >= $start and month_end <= $end) or (month >= $ya_start and month_end <= $ya_end))
),
by_category as (
    select
        category,
        coalesce(sum(identified) filter (where in_period), 0) as identified,
        coalesce(sum(resolved) filter (where in_period), 0) as resolved,
        coalesce(sum(identified) filter (where in_year_ago), 0) as ya_identified,
        coalesce(sum(demo_cases) filter (where in_period), 0) as demo_cases,
    from cases
    group by category
)
select
    k.code as category,
    k.name_zh,
    k.name_en,
    coalesce(b.identified, 0) as identified,
    coalesce(b.resolved, 0) as resolved,
    100.0 * b.resolved / nullif(b.identified, 0) as success_rate_pct,
    100.0 * b.identified / nullif(sum(b.identified) over (), 0) as share_pct,
    coalesce(b.ya_identified, 0) as ya_identified,
    100.0 * (b.identified - b.ya_identified) / nullif(b.ya_identified, 0) as yoy_pct,
    coalesce(sum(b.demo_cases) over (), 0) > 0 as has_demo,  -- the records in scope hold demo cases
from dispute_category as k
left join by_category as b on b.category = k.code
order by identified desc, k.code
