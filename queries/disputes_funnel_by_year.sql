-- Dispute funnel 排查 → 受理 → 调解 → 化解成功 → 回访 by year and in total, for a place, period and category
-- grain: one row per year of the 登记 (identified) date, plus one total row where case_year is null
-- still_open: accepted cases with no outcome yet (at the snapshot's as-of date); they stay in the denominator.
-- params: $region (six-digit code or ''), $start, $end (inclusive dates), $category (category code or '' = all)
-- A case belongs to the period of its identified_date; 化解成功率 = resolved ÷ identified (catalog: dispute_success_rate).
-- The region test is written as ORs of equalities (not `$region in (...)`) so that DuckDB prunes row groups on the
-- sorted code columns: about 10x faster for one province.
with cases as (
    select
        year(identified_date) as case_year,
        accepted_date,
        mediated_date,
        outcome,
        followup_date,
        source,
    from dispute_case
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and identified_date between $start and $end
        and ($category = '' or category = $category)
)
select
    case_year,
    count(*) as identified,
    count(accepted_date) as accepted,
    count(mediated_date) as mediated,
    count(*) filter (where outcome = 'resolved') as resolved,
    count(followup_date) as followed_up,
    count(*) filter (where accepted_date is not null and outcome is null) as still_open,  -- on the data's as-of date
    100.0 * count(*) filter (where outcome = 'resolved') / nullif(count(*), 0) as success_rate_pct,
    coalesce(bool_or(source = 'demo'), false) as has_demo,
from cases
group by rollup (case_year)
order by case_year nulls last
