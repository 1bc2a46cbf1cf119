-- Figures the seed documents publish on grids and facilities for exactly this place, ending in a given year
-- grain: one row per published figure of the grid domain for $region with period ending in $year
-- params: $region (six-digit code; '' matches nothing), $year
select
    f.figure_id,
    f.indicator,
    i.name_zh as indicator_name,
    f.value,
    f.unit,
    f.qualifier,
    f.decimals,
    f.period_end,
    f.quote,
    f.article,
from published_figure as f
join indicator as i on i.code = f.indicator
where f.region_code = $region
    and i.domain = 'grid'
    and year(f.period_end) = $year
order by f.figure_id
