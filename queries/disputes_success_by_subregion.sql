-- Dispute success rate of each sub-region against the catalog target, with the change on the previous period
-- grain: one row per sub-region of $region at $child_level that has cases in either period
-- params: $region (six-digit code or ''), $child_level (province | prefecture | county), $start, $end,
--         $prev_start, $prev_end (inclusive dates, whole months), $category (category code or '' = all)
-- Reads the monthly rollup dispute_month (pingan/rollups.py). Precedence: an imported report replaces the records it
-- covers in a sub-region and period that wholly contain it (a prefecture's report does not speak for its counties).
with child as (
    select code, name, short_name
    from region
    where level = $child_level
        and in_scope
        and ($region = '' or province_code = $region or prefecture_code = $region or code = $region)
),
child_rank as (
    select max(rank) as level_rank from place_level where level = $child_level
),
flagged as (
    select
        case $child_level
            when 'province' then m.province_code
            when 'prefecture' then m.prefecture_code
            else m.county_code
        end as code,
        m.identified,
        m.resolved,
        m.month >= $start and m.month_end <= $end
            and ($category <> '' or m.counts_from_rank <= k.level_rank or m.cover_start < $start or m.cover_end > $end)
            as in_period,
        m.month >= $prev_start and m.month_end <= $prev_end
            and ($category <> '' or m.counts_from_rank <= k.level_rank or m.cover_start < $prev_start or m.cover_end > $prev_end)
            as in_prev,
    from dispute_month as m
    cross join child_rank as k
    where ($region = '' or m.province_code = $region or m.prefecture_code = $region or m.county_code = $region)
        and ((m.month >= $start and m.month_end <= $end) or (m.month >= $prev_start and m.month_end <= $prev_end))
        and ($category = '' or m.category = $category)
),
by_child as (
    select
        code,
        -- a counted report that leaves a stage blank makes the sub-region's figure unknown
        case when count(*) filter (where in_period and identified is null) = 0
            then coalesce(sum(identified) filter (where in_period), 0) end as identified,
        case when count(*) filter (where in_period and resolved is null) = 0
            then coalesce(sum(resolved) filter (where in_period), 0) end as resolved,
        case when count(*) filter (where in_prev and identified is null) = 0
            then sum(identified) filter (where in_prev) end as prev_identified,
        case when count(*) filter (where in_prev and resolved is null) = 0
            then sum(resolved) filter (where in_prev) end as prev_resolved,
    from flagged
    where in_period or in_prev
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
