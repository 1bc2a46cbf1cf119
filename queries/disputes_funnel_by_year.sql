-- Dispute funnel 排查 → 受理 → 调解 → 化解成功 → 回访 by year and in total, for a place, period and category
-- grain: one row per year of the 登记 (identified) date, plus one total row where case_year is null
-- still_open: accepted cases with no outcome yet (at the snapshot's as-of date); they stay in the denominator.
-- params: $region (six-digit code or ''), $start, $end (inclusive dates, whole months), $category (code or '' = all)
-- A case belongs to the period of its identified_date; 化解成功率 = resolved ÷ identified (catalog: dispute_success_rate).
-- Reads the monthly rollup dispute_month (pingan/rollups.py). Precedence: an imported report replaces the records it
-- covers in a bucket (a year, or the whole period) that wholly contains it; reports have no category, so a
-- category other than '' shows the records. A stage a counted report leaves blank is unknown (null).
with place as (  -- the place's rank (table place_rank)
    select max(rank) as level_rank
    from place_rank
    where code = $region
),
flagged as (
    select
        year(m.month) as case_year,
        m.identified, m.accepted, m.mediated, m.resolved, m.followed_up, m.still_open, m.demo_cases,
        ($category <> '' or m.counts_from_rank <= p.level_rank or m.cover_start < $start
         or m.cover_end > $end) as in_total,
        (not m.is_report or year(m.month) = year(m.month_end))
            and ($category <> '' or m.counts_from_rank <= p.level_rank or m.cover_start < $start
                 or m.cover_end > $end or year(m.cover_start) <> year(m.cover_end)) as in_year,
    from dispute_month as m
    cross join place as p
    where ($region = '' or m.province_code = $region or m.prefecture_code = $region or m.county_code = $region)
        and m.month >= $start
        and m.month_end <= $end
        and ($category = '' or m.category = $category)
),
agg as (  -- one pass over the rollup: sums per year and per flag pair, with how many rows left a stage blank
    select
        case_year, in_year, in_total,
        sum(identified) as identified, count(*) filter (where identified is null) as identified_blank,
        sum(accepted) as accepted, count(*) filter (where accepted is null) as accepted_blank,
        sum(mediated) as mediated, count(*) filter (where mediated is null) as mediated_blank,
        sum(resolved) as resolved, count(*) filter (where resolved is null) as resolved_blank,
        sum(followed_up) as followed_up, count(*) filter (where followed_up is null) as followed_up_blank,
        sum(still_open) as still_open, count(*) filter (where still_open is null) as still_open_blank,
        bool_or(demo_cases > 0) as has_demo,
    from flagged
    where in_year or in_total
    group by all
),
bucket as (
    select case_year, * exclude (case_year, in_year, in_total) from agg where in_year
    union all
    select null, * exclude (case_year, in_year, in_total) from agg where in_total
)
select
    case_year,
    case when sum(identified_blank) = 0 then coalesce(sum(identified), 0) end as identified,
    case when sum(accepted_blank) = 0 then coalesce(sum(accepted), 0) end as accepted,
    case when sum(mediated_blank) = 0 then coalesce(sum(mediated), 0) end as mediated,
    case when sum(resolved_blank) = 0 then coalesce(sum(resolved), 0) end as resolved,
    case when sum(followed_up_blank) = 0 then coalesce(sum(followed_up), 0) end as followed_up,
    case when sum(still_open_blank) = 0 then coalesce(sum(still_open), 0) end as still_open,
    case when sum(resolved_blank) + sum(identified_blank) = 0
        then 100.0 * sum(resolved) / nullif(sum(identified), 0) end as success_rate_pct,
    coalesce(bool_or(has_demo), false) as has_demo,
from bucket
group by case_year
union all  -- the total row, even when nothing is in scope
select null, 0, 0, 0, 0, 0, 0, null, false
where not exists (select 1 from bucket where case_year is null)
order by case_year nulls last
