-- Open dispute cases (backlog) on a date, by county and by age since acceptance: 0-30, 31-60 days, 61 days to the
-- backlog threshold and over it (table backlog_rule; the columns age_61_90, age_over_90 are named for its value)
-- grain: one row per county of $region with at least one case open on $as_of
-- params: $region (six-digit code or ''), $as_of (date: the end of the chosen period, at most the data's as-of date),
--         $category (category code or '' = all)
-- Open on $as_of = accepted on or before it and not closed by it (still open today, or closed later). A backlog
-- is a stock, so cases identified in any earlier period count. date − date = days (DuckDB, PostgreSQL).
with open_cases as (
    select
        county_code,
        $as_of - accepted_date as age_days,
    from dispute_case
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and identified_date <= $as_of
        and accepted_date <= $as_of
        and (closed_date is null or closed_date > $as_of)
        and ($category = '' or category = $category)
),
by_county as (
    select
        county_code,
        count(*) as open_cases,
        count(*) filter (where age_days <= 30) as age_0_30,
        count(*) filter (where age_days between 31 and 60) as age_31_60,
        count(*) filter (where age_days between 61 and b.over_days) as age_61_90,
        count(*) filter (where age_days > b.over_days) as age_over_90,  -- overdue: table backlog_rule
        max(age_days) as oldest_days,
    from open_cases
    cross join backlog_rule as b
    group by county_code
)
select
    b.county_code,
    c.short_name as county_name,
    p.short_name as prefecture_name,
    b.open_cases,
    b.age_0_30,
    b.age_31_60,
    b.age_61_90,
    b.age_over_90,
    b.oldest_days,
from by_county as b
join region as c on c.code = b.county_code
left join region as p on p.code = c.prefecture_code
order by b.age_over_90 desc, b.open_cases desc, b.county_code
