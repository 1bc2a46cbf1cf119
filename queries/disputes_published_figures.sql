-- Published dispute figures for one place and period, beside the warehouse's value under the same definitions
-- grain: one row per published dispute figure of exactly this region and period (ask disputes_published_list first:
-- usually there is none, and this query scans the place's cases either way)
-- params: $region (six-digit code), $start, $end (inclusive dates: the figure's period exactly)
-- Same definitions as sources_reconciliation: a case belongs to the period of its 登记 date; 化解成功率 = resolved ÷
-- identified; a rate that claims every year of its period (published_figure.holds_every_year, pingan/rules.py:
-- "以上" over several years) is compared with the lowest year.
-- rate_over_accepted_pct is what the rate would be with 受理 as the denominator (it does not match the sources).
-- Warehouse columns are null unless the cases cover every year of the period.
with fig as (
    select
        figure_id, article, region_code, region_name, indicator, value, unit, qualifier,
        period_start, period_end, decimals, quote, match_from, match_below, holds_every_year,
    from published_figure
    where region_code = $region
        and period_start = $start
        and period_end = $end
        and indicator in ('dispute_identified', 'dispute_accepted', 'dispute_mediated', 'dispute_resolved',
                          'dispute_followed_up', 'dispute_success_rate')
),
by_year as (
    select
        year(identified_date) as case_year,
        count(*) as identified,
        count(accepted_date) as accepted,
        count(mediated_date) as mediated,
        count(*) filter (where outcome = 'resolved') as resolved,
        count(followup_date) as followed_up,
    from dispute_case
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and identified_date between $start and $end
    group by year(identified_date)
),
total as (
    select
        sum(identified) as identified,
        sum(accepted) as accepted,
        sum(mediated) as mediated,
        sum(resolved) as resolved,
        sum(followed_up) as followed_up,
        min(100.0 * resolved / identified) as lowest_year_rate_pct,
        min(case_year) = year($start) and max(case_year) = year($end) as covers_period,
    from by_year
),
valued as (
    select
        f.*,
        t.identified,
        t.accepted,
        t.resolved,
        100.0 * t.resolved / t.identified as rate_over_identified_pct,
        100.0 * t.resolved / nullif(t.accepted, 0) as rate_over_accepted_pct,
        t.lowest_year_rate_pct,
        case f.indicator
            when 'dispute_identified' then t.identified
            when 'dispute_accepted' then t.accepted
            when 'dispute_mediated' then t.mediated
            when 'dispute_resolved' then t.resolved
            when 'dispute_followed_up' then t.followed_up
            when 'dispute_success_rate' then
                case when f.holds_every_year then t.lowest_year_rate_pct
                     else 100.0 * t.resolved / t.identified end
        end as warehouse_value,
    from fig as f
    left join total as t on t.covers_period
)
select
    v.figure_id,
    v.article,
    v.region_code,
    v.region_name,
    v.indicator,
    i.name_zh as indicator_zh,
    i.name_en as indicator_en,
    v.value as published_value,
    v.unit,
    v.qualifier,
    v.period_start,
    v.period_end,
    v.decimals,
    v.quote,
    v.warehouse_value,
    case
        when v.warehouse_value is null then null
        else v.warehouse_value >= v.match_from and (v.match_below is null or v.warehouse_value < v.match_below)
    end as matches,  -- the figure's interval: pingan/rules.py, data/published/README.md
    v.identified,
    v.accepted,
    v.resolved,
    v.rate_over_identified_pct,
    v.rate_over_accepted_pct,
    v.lowest_year_rate_pct,
from valued as v
left join indicator as i on i.code = v.indicator
order by v.indicator
