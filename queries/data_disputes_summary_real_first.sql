-- Dispute funnel totals for a place and period, imported reports first: disputes_summary with precedence
-- grain: one row for the place and period
-- params: $region (six-digit code or ''), $start, $end (inclusive dates)
-- Precedence (issue 9): an imported observation of a stage (region × period × indicator) replaces what the case
-- records of the counties inside that region say for that period; records count only where no report covers them.
-- A report counts when its region is inside the scope and its period lies inside [$start, $end]; has_demo is true
-- only while some demo case still counts. Reports nested in a wider report (a county inside a reported prefecture,
-- a month inside a reported year) are counted once, through the wider one; reports that overlap only in part
-- (a quarter and a Jul–Nov range) would be counted twice — the importer does not refuse them yet.
with report_all as (  -- imported stage figures inside the scope and period
    select o.region_code, r.province_code, r.prefecture_code, o.period_start, o.period_end, o.indicator, o.value
    from observation as o
    join region as r on r.code = o.region_code
    where o.source like 'import:%'
        and ($region = '' or r.province_code = $region or r.prefecture_code = $region or r.code = $region)
        and o.period_start >= $start
        and o.period_end <= $end
        and o.indicator in ('dispute_identified', 'dispute_accepted', 'dispute_mediated', 'dispute_resolved',
                            'dispute_followed_up')
),
report as (  -- a report inside a wider one (its region or an ancestor, a period containing it) is already counted
    select a.*
    from report_all as a
    where not exists (
        select 1 from report_all as b
        where b.indicator = a.indicator
            and b.region_code in (a.province_code, a.prefecture_code, a.region_code)
            and b.period_start <= a.period_start and b.period_end >= a.period_end
            and (b.region_code <> a.region_code or b.period_start <> a.period_start or b.period_end <> a.period_end)
    )
),
covered as (  -- the counties and days each report speaks for
    select distinct rep.indicator, c.code as county_code, rep.period_start, rep.period_end
    from report as rep
    join region as c
        on c.level = 'county'
        and rep.region_code in (c.province_code, c.prefecture_code, c.code)
),
records as (  -- what the case records say for the whole scope (as disputes_summary)
    select
        count(*) as identified,
        count(accepted_date) as accepted,
        count(mediated_date) as mediated,
        count(*) filter (where outcome = 'resolved') as resolved,
        count(followup_date) as followed_up,
        count(*) filter (where source = 'demo') as demo_cases,
    from dispute_case
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and identified_date between $start and $end
),
records_covered as (  -- what the records say where a report speaks instead (subtracted, per indicator)
    select
        v.indicator,
        count(*) as identified,
        count(d.accepted_date) as accepted,
        count(d.mediated_date) as mediated,
        count(*) filter (where d.outcome = 'resolved') as resolved,
        count(d.followup_date) as followed_up,
        count(*) filter (where d.source = 'demo') as demo_cases,
    from covered as v
    join dispute_case as d
        on d.county_code = v.county_code
        and d.identified_date between v.period_start and v.period_end
    where ($region = '' or d.province_code = $region or d.prefecture_code = $region or d.county_code = $region)
        and d.identified_date between $start and $end
    group by v.indicator
),
minus as (
    select
        coalesce(sum(identified) filter (where indicator = 'dispute_identified'), 0) as identified,
        coalesce(sum(accepted) filter (where indicator = 'dispute_accepted'), 0) as accepted,
        coalesce(sum(mediated) filter (where indicator = 'dispute_mediated'), 0) as mediated,
        coalesce(sum(resolved) filter (where indicator = 'dispute_resolved'), 0) as resolved,
        coalesce(sum(followed_up) filter (where indicator = 'dispute_followed_up'), 0) as followed_up,
        -- the fewest demo cases any one indicator gives up: some demo case still counts for that indicator
        coalesce(min(demo_cases), 0) as demo_covered,
        count(*) as indicators_covered,
    from records_covered
),
plus as (
    select
        coalesce(sum(value) filter (where indicator = 'dispute_identified'), 0) as identified,
        coalesce(sum(value) filter (where indicator = 'dispute_accepted'), 0) as accepted,
        coalesce(sum(value) filter (where indicator = 'dispute_mediated'), 0) as mediated,
        coalesce(sum(value) filter (where indicator = 'dispute_resolved'), 0) as resolved,
        coalesce(sum(value) filter (where indicator = 'dispute_followed_up'), 0) as followed_up,
        count(*) as report_values,
    from report
),
merged as (
    select
        r.identified - m.identified + p.identified as identified,
        r.accepted - m.accepted + p.accepted as accepted,
        r.mediated - m.mediated + p.mediated as mediated,
        r.resolved - m.resolved + p.resolved as resolved,
        r.followed_up - m.followed_up + p.followed_up as followed_up,
        -- demo cases still count unless every stage indicator's report covers them
        r.demo_cases > (case when m.indicators_covered = 5 then m.demo_covered else 0 end) as has_demo,
        p.report_values,
    from records as r
    cross join minus as m
    cross join plus as p
)
select
    cast(identified as bigint) as identified,
    cast(accepted as bigint) as accepted,
    cast(mediated as bigint) as mediated,
    cast(resolved as bigint) as resolved,
    cast(followed_up as bigint) as followed_up,
    100.0 * resolved / nullif(identified, 0) as success_rate_pct,
    has_demo,
    report_values,
from merged
