-- Survey figures the seed documents publish for a place and the places below it, beside the warehouse's value
-- grain: one row per published figure of a catalog satisfaction index
-- params: $region (six-digit code or '')
-- Same definitions as sources_reconciliation.sql: a one-year figure is that year's sample-weighted index; a
-- figure that claims every year of its period (published_figure.holds_every_year, pingan/rules.py: "以上" over several
-- years, "连续12年保持在90%以上") is a streak claim, held when the lowest year reaches it.
with fig as (
    select
        f.figure_id,
        f.region_code,
        r.short_name as region_short_name,
        r.level as region_level,
        f.indicator,
        f.value,
        f.unit,
        f.qualifier,
        f.holds_every_year,
        extract(year from f.period_start) as start_year,
        extract(year from f.period_end) as end_year,
        f.calibrated,
        f.decimals,
        f.quote,
        f.match_from,
        f.match_below
    from published_figure as f
    join indicator as i on i.code = f.indicator and i.domain = 'satisfaction'
    join region as r on r.code = f.region_code
    where ($region = '' or r.province_code = $region or r.prefecture_code = $region or r.code = $region)
),
survey_year as (
    select
        f.figure_id,
        s.year,
        100.0 * sum(s.positive) / sum(s.sample_size) as rate
    from fig as f
    join survey_result as s
        on f.region_code in (s.province_code, s.prefecture_code, s.county_code)
        and s.indicator = f.indicator
        and s.year between f.start_year and f.end_year
        and not s.is_report  -- records (calibrated demo rows), not imported reports
    where ($region = '' or s.province_code = $region or s.prefecture_code = $region or s.county_code = $region)
    group by f.figure_id, s.year
),
warehouse as (
    select
        f.figure_id,
        case when f.holds_every_year then min(y.rate)
             else sum(y.rate) / count(*) end as warehouse_value
    from fig as f
    join survey_year as y on y.figure_id = f.figure_id
    group by f.figure_id, f.holds_every_year, f.start_year, f.end_year
    having min(y.year) = f.start_year and max(y.year) = f.end_year  -- the surveys cover the whole period
)
select
    f.figure_id,
    f.region_code,
    f.region_short_name,
    f.region_level,
    f.indicator,
    f.value,
    f.unit,
    f.qualifier,
    f.start_year,
    f.end_year,
    f.calibrated,
    f.decimals,
    f.quote,
    f.end_year - f.start_year + 1 as years,
    w.warehouse_value,
    case
        when w.warehouse_value is null then null
        else w.warehouse_value >= f.match_from and (f.match_below is null or w.warehouse_value < f.match_below)
    end as matches  -- the figure's interval: pingan/rules.py, data/published/README.md
from fig as f
left join warehouse as w on w.figure_id = f.figure_id
order by f.region_code, f.indicator, f.end_year, f.calibrated desc, f.figure_id
