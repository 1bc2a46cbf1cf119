-- Published anti-gang figures for a place and span of years, beside the warehouse's sum under the same definition
-- grain: one row per published figure whose period is exactly these years (the 专项斗争, 常态化 or whole campaign)
-- params: $region (six-digit code; '' matches none), $first_year, $last_year (inclusive)
with fig as (
    select
        f.figure_id,
        f.article,
        f.region_name,
        f.indicator,
        f.value as published_value,
        f.unit,
        f.qualifier,
        f.decimals,
        f.calibrated,
        f.quote,
        f.period_start,
        f.period_end,
        f.match_from,
        f.match_below
    from published_figure as f
    join indicator as i on i.code = f.indicator and i.domain = 'anti_gang'
    where f.region_code = $region
        and year(f.period_start) = $first_year
        and year(f.period_end) = $last_year
),
part as (  -- each base indicator counts for itself and for the sums it is a part of (table indicator_part)
    select code as part, code as indicator from indicator where domain = 'anti_gang'
    union all
    select s.part, s.total
    from indicator_part as s
    join indicator as i on i.code = s.total and i.domain = 'anti_gang'
    where s.rule = 'sum'
),
warehouse as (
    select
        p.indicator,
        sum(a.value) as warehouse_value
    from antigang_tally as a
    join part as p on p.part = a.indicator
    where $region in (a.province_code, a.prefecture_code, a.county_code)
        and a.year between $first_year and $last_year
        and not a.is_report  -- the generator's calibration is checked against the records, not imported reports
    group by p.indicator
)
select
    f.figure_id,
    f.article,
    f.region_name,
    f.indicator,
    f.published_value,
    f.unit,
    f.qualifier,
    f.decimals,
    f.calibrated,
    f.quote,
    f.period_start,
    f.period_end,
    w.warehouse_value,
    case
        when w.warehouse_value is null then null
        else w.warehouse_value >= f.match_from and (f.match_below is null or w.warehouse_value < f.match_below)
    end as matches  -- the figure's interval: pingan/rules.py, data/published/README.md
from fig as f
left join warehouse as w on w.indicator = f.indicator
order by f.indicator, f.figure_id
