-- Dispute success rate of each sub-region against the catalog target, with the change on the previous period
-- grain: one row per sub-region of $region at $child_level that has cases in either period
-- params: $region (six-digit code or ''), $child_level (province | prefecture | county), $start, $end,
--         $prev_start, $prev_end (inclusive dates), $category (category code or '' = all)
with child as (
    select code, name, short_name
    from region
    where level = $child_level
        and in_scope
        and ($region = '' or province_code = $region or prefecture_code = $region or code = $region)
),
cases as (
    select
        case $child_level
            when 'province' then province_code
            when 'prefecture' then prefecture_code
            else county_code
        end as code,
        identified_date between $start and $end as in_period,
        outcome = 'resolved' as is_resolved,
    from dispute_case
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and (identified_date between $start and $end or identified_date between $prev_start and $prev_end)
        and ($category = '' or category = $category)
),
by_child as (
    select
        code,
        count(*) filter (where in_period) as identified,
        count(*) filter (where in_period and is_resolved) as resolved,
        count(*) filter (where not in_period) as prev_identified,
        count(*) filter (where not in_period and is_resolved) as prev_resolved,
    from cases
    group by code
),
target as (
    select target as target_pct
    from indicator
    where code = 'dispute_success_rate'
)
select
    c.code,
    c.short_name,
    c.name,
    b.identified,
    b.resolved,
    100.0 * b.resolved / nullif(b.identified, 0) as success_rate_pct,
    100.0 * b.prev_resolved / nullif(b.prev_identified, 0) as prev_success_rate_pct,
    100.0 * b.resolved / nullif(b.identified, 0)
        - 100.0 * b.prev_resolved / nullif(b.prev_identified, 0) as change_pp,
    t.target_pct,
    100.0 * b.resolved / nullif(b.identified, 0) < t.target_pct as below_target,
from by_child as b
join child as c on c.code = b.code
cross join target as t
order by success_rate_pct desc nulls last, c.code
