-- Dispute funnel totals for a place and period (cases belong to the period of their 登记 date), reports first
-- grain: one row for the place and period
-- params: $region (six-digit code or ''), $start, $end (inclusive dates, whole months)
-- Reads the monthly rollup dispute_month (pingan/rollups.py). Precedence: an imported report of the place or of a
-- region inside it whose period lies inside [$start, $end] replaces the case records of the counties and months it
-- covers; a stage a counted report leaves blank is unknown (null). has_demo: some counted row holds demo cases.
with place as (  -- the place's rank (table place_rank)
    select max(rank) as level_rank
    from place_rank
    where code = $region
),
counted as (
    select m.*
    from dispute_month as m
    cross join place as p
    where ($region = '' or m.province_code = $region or m.prefecture_code = $region or m.county_code = $region)
        and m.month >= $start
        and m.month_end <= $end
        and (m.counts_from_rank <= p.level_rank or m.cover_start < $start or m.cover_end > $end)
)
select
    case when count(*) filter (where identified is null) = 0 then coalesce(sum(identified), 0) end as identified,
    case when count(*) filter (where accepted is null) = 0 then coalesce(sum(accepted), 0) end as accepted,
    case when count(*) filter (where mediated is null) = 0 then coalesce(sum(mediated), 0) end as mediated,
    case when count(*) filter (where resolved is null) = 0 then coalesce(sum(resolved), 0) end as resolved,
    case when count(*) filter (where followed_up is null) = 0 then coalesce(sum(followed_up), 0) end as followed_up,
    case when count(*) filter (where resolved is null or identified is null) = 0
        then 100.0 * sum(resolved) / nullif(sum(identified), 0) end as success_rate_pct,
    coalesce(bool_or(demo_cases > 0), false) as has_demo,
    count(*) filter (where is_report) as report_rows,
from counted
