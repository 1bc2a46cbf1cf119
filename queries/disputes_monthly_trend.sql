-- Disputes identified and resolved per month, with the same month a year earlier
-- grain: one row per calendar month from $start to $end that has cases
-- params: $region (six-digit code or ''), $start, $end (inclusive dates, whole months), $ya_start ($start a year
--         earlier: the scan starts there so that every month has its year-ago figures), $category (code or '' = all)
with cases as (
    select
        year(identified_date) as case_year,
        month(identified_date) as case_month,
        outcome = 'resolved' as is_resolved,
    from dispute_case
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and identified_date between $ya_start and $end
        and ($category = '' or category = $category)
),
by_month as (
    select
        case_year,
        case_month,
        count(*) as identified,
        count(*) filter (where is_resolved) as resolved,
    from cases
    group by case_year, case_month
)
select
    make_date(m.case_year, m.case_month, 1) as month_start,  -- DuckDB; Spark has make_date too
    m.identified,
    m.resolved,
    100.0 * m.resolved / nullif(m.identified, 0) as success_rate_pct,
    y.identified as ya_identified,
    100.0 * y.resolved / nullif(y.identified, 0) as ya_success_rate_pct,
    100.0 * (m.identified - y.identified) / nullif(y.identified, 0) as yoy_pct,
from by_month as m
left join by_month as y on y.case_year = m.case_year - 1 and y.case_month = m.case_month
where make_date(m.case_year, m.case_month, 1) >= $start
order by month_start
