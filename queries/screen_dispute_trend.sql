-- Disputes registered and resolved per month over the wall's trend window, with the same month a year before
-- grain: one row per month from $start to $end
-- params: $region (six-digit code or ''), $start, $end (the window; a year before it is read for year-on-year)
with monthly as (
    select
        date_trunc('month', identified_date) as month,
        count(*) as identified,
        count(*) filter (where outcome = 'resolved') as resolved,
    from dispute_case
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and identified_date between $start - interval 1 year and $end
    group by 1
)
select
    cur.month,
    cur.identified,
    cur.resolved,
    100.0 * cur.resolved / nullif(cur.identified, 0) as success_rate_pct,
    prev.identified as identified_year_before,
from monthly as cur
left join monthly as prev on prev.month = cur.month - interval 1 year
where cur.month >= date_trunc('month', cast($start as date))
order by cur.month
