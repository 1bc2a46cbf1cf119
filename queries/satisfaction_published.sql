-- Survey figures the seed documents publish for a place and the places below it, with their quotes
-- grain: one row per published figure of a catalog satisfaction index
-- params: $region (six-digit code or '')
-- A figure over one year is that year's index; a figure "以上" over several years ("连续12年保持在90%以上")
-- is a streak claim: the index reached the value in every year of the period.
select
    f.figure_id,
    f.region_code,
    r.short_name as region_short_name,
    r.level as region_level,
    f.indicator,
    f.value,
    f.unit,
    f.qualifier,
    extract(year from f.period_start) as start_year,
    extract(year from f.period_end) as end_year,
    extract(year from f.period_end) - extract(year from f.period_start) + 1 as years,
    f.calibrated,
    f.decimals,
    f.quote
from published_figure as f
join indicator as i on i.code = f.indicator and i.domain = 'satisfaction'
join region as r on r.code = f.region_code
where $region in ('', r.province_code, r.prefecture_code, r.code)
order by f.region_code, f.indicator, end_year, f.calibrated desc, f.figure_id
