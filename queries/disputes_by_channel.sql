-- Disputes by channel (人民调解, 行政调解 …): counts, share and success rate
-- grain: one row per dispute channel (all six, with or without cases)
-- params: $region (six-digit code or ''), $start, $end (inclusive dates), $category (category code or '' = all)
with cases as (
    select
        channel,
        accepted_date,
        outcome = 'resolved' as is_resolved,
    from dispute_case
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and identified_date between $start and $end
        and ($category = '' or category = $category)
),
by_channel as (
    select
        channel,
        count(*) as identified,
        count(accepted_date) as accepted,
        count(*) filter (where is_resolved) as resolved,
    from cases
    group by channel
)
select
    k.code as channel,
    k.name_zh,
    k.name_en,
    coalesce(b.identified, 0) as identified,
    coalesce(b.accepted, 0) as accepted,
    coalesce(b.resolved, 0) as resolved,
    100.0 * b.resolved / nullif(b.identified, 0) as success_rate_pct,
    100.0 * b.identified / nullif(sum(b.identified) over (), 0) as share_pct,
from dispute_channel as k
left join by_channel as b on b.channel = k.code
order by identified desc, k.code
