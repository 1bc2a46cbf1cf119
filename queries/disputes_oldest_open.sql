-- The oldest dispute cases open on a date (record level, for follow-up), at most 500
-- grain: one row per open case, oldest acceptance first
-- params: $region (six-digit code or ''), $as_of (date: end of the chosen period, at most the data's as-of date),
--         $category (category code or '' = all)
-- Same definition of "open" as disputes_backlog_by_county. date − date = days (DuckDB, PostgreSQL).
-- Read from dispute_long_open first (rollups.py: cases closed more than the backlog threshold, table backlog_rule,
-- after registration, or never): a case open on $as_of for longer than the threshold is one of them, and older than
-- any other open case. Only when fewer than 500 of them are over it does the query read the other cases (a hash
-- join on an empty side: no scan). 500 = rules.OLDEST_OPEN_LISTED (Spark needs a constant LIMIT; a test checks).
with long_open as (
    select case_id, county_code, grid_id, category, channel, identified_date, accepted_date, mediated_date,
           b.over_days,  -- overdue: table backlog_rule
    from dispute_long_open
    cross join backlog_rule as b
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and identified_date <= $as_of
        and accepted_date <= $as_of
        and (closed_date is null or closed_date > $as_of)
        and ($category = '' or category = $category)
),
short_needed as (  -- one row when the long-open cases over the threshold (backlog_rule) do not fill the list
    select 1 as needed
    from long_open
    having count(*) filter (where $as_of - accepted_date > over_days) < 500
),
candidates as (
    select case_id, county_code, grid_id, category, channel, identified_date, accepted_date, mediated_date,
    from long_open
    union all
    select d.case_id, d.county_code, d.grid_id, d.category, d.channel, d.identified_date, d.accepted_date,
           d.mediated_date,
    from dispute_case as d
    join short_needed as n on n.needed = 1
    where ($region = '' or d.province_code = $region or d.prefecture_code = $region or d.county_code = $region)
        and d.identified_date <= $as_of
        and d.accepted_date <= $as_of
        and d.closed_date > $as_of
        and d.closed_date - d.identified_date <= (select over_days from backlog_rule)
        and ($category = '' or d.category = $category)
),
open_cases as (
    select *, $as_of - accepted_date as age_days,
    from candidates
    order by accepted_date, case_id
    limit 500
)
select
    o.case_id,
    c.short_name as county_name,
    p.short_name as prefecture_name,
    o.grid_id,
    k.name_zh as category_zh,
    k.name_en as category_en,
    h.name_zh as channel_zh,
    h.name_en as channel_en,
    o.identified_date,
    o.accepted_date,
    o.mediated_date,
    o.age_days,
from open_cases as o
join region as c on c.code = o.county_code
left join region as p on p.code = c.prefecture_code
left join dispute_category as k on k.code = o.category
left join dispute_channel as h on h.code = o.channel
order by o.accepted_date, o.case_id
