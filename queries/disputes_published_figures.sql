-- Published dispute figures beside the warehouse's value for the same place and period, under the page's definitions
-- grain: one row per published dispute figure; warehouse columns are null where the cases do not cover the period
-- params: none
-- Same definitions as sources_reconciliation: a case belongs to the period of its 登记 date; 化解成功率 = resolved ÷
-- identified; a rate "以上" over several years must hold in every year, so it is compared with the lowest year.
-- rate_over_accepted_pct shows what the rate would be with 受理 as the denominator (it does not match the sources).
with fig as (
    select
        figure_id, article, region_code, region_name, indicator, value, unit, qualifier,
        period_start, period_end, decimals, quote,
    from published_figure
    where indicator in ('dispute_identified', 'dispute_accepted', 'dispute_mediated', 'dispute_resolved',
                        'dispute_followed_up', 'dispute_success_rate')
),
place as (
    select distinct region_code, period_start, period_end
    from fig
),
place_county as (
    select p.region_code, p.period_start, p.period_end, r.code as county_code
    from place as p
    join region as r
        on r.level = 'county'
        and p.region_code in (r.province_code, r.prefecture_code, r.code)
),
place_year as (
    select
        pc.region_code,
        pc.period_start,
        pc.period_end,
        year(d.identified_date) as case_year,
        count(*) as identified,
        count(d.accepted_date) as accepted,
        count(d.mediated_date) as mediated,
        count(*) filter (where d.outcome = 'resolved') as resolved,
        count(d.followup_date) as followed_up,
    from place_county as pc
    join dispute_case as d
        on d.county_code = pc.county_code
        and d.identified_date between pc.period_start and pc.period_end
    group by pc.region_code, pc.period_start, pc.period_end, year(d.identified_date)
),
place_total as (
    select
        region_code,
        period_start,
        period_end,
        sum(identified) as identified,
        sum(accepted) as accepted,
        sum(mediated) as mediated,
        sum(resolved) as resolved,
        sum(followed_up) as followed_up,
        min(100.0 * resolved / identified) as lowest_year_rate_pct,
    from place_year
    group by region_code, period_start, period_end
    having min(case_year) = year(period_start) and max(case_year) = year(period_end)  -- data covers the period
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
                case when f.qualifier = '以上' then t.lowest_year_rate_pct
                     else 100.0 * t.resolved / t.identified end
        end as warehouse_value,
    from fig as f
    left join place_total as t
        on t.region_code = f.region_code
        and t.period_start = f.period_start
        and t.period_end = f.period_end
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
        when v.qualifier in ('余', '以上', '多', '超') then v.warehouse_value >= v.value
        when v.qualifier = '近' then v.warehouse_value <= v.value
        else round(v.warehouse_value, v.decimals) = round(v.value, v.decimals)
    end as matches,
    v.identified,
    v.accepted,
    v.resolved,
    v.rate_over_identified_pct,
    v.rate_over_accepted_pct,
    v.lowest_year_rate_pct,
from valued as v
left join indicator as i on i.code = v.indicator
order by v.region_code, v.period_start, v.period_end, v.indicator
