-- Dispute funnel totals for a place and period (cases belong to the period of their 登记 date)
-- grain: one row for the place and period
-- params: $region (six-digit code or ''), $start, $end (inclusive dates)
select
    count(*) as identified,
    count(accepted_date) as accepted,
    count(mediated_date) as mediated,
    count(*) filter (where outcome = 'resolved') as resolved,
    count(followup_date) as followed_up,
    100.0 * count(*) filter (where outcome = 'resolved') / nullif(count(*), 0) as success_rate_pct,
    bool_or(source = 'demo') as has_demo,
from dispute_case
where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
    and identified_date between $start and $end
