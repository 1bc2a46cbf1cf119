-- Disputes by category: counts, share, success rate and growth on the same period a year earlier
-- grain: one row per dispute category (all ten, with or without cases)
-- params: $region (six-digit code or ''), $start, $end, $ya_start, $ya_end (inclusive dates; ya = a year earlier)
with cases as (
    select
        category,
        identified_date between $start and $end as in_period,
        identified_date between $ya_start and $ya_end as in_year_ago,  -- may overlap a multi-year period
        outcome = 'resolved' as is_resolved,
    from dispute_case
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and (identified_date between $start and $end or identified_date between $ya_start and $ya_end)
),
by_category as (
    select
        category,
        count(*) filter (where in_period) as identified,
        count(*) filter (where in_period and is_resolved) as resolved,
        count(*) filter (where in_year_ago) as ya_identified,
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
from dispute_category as k
left join by_category as b on b.category = k.code
order by identified desc, k.code
