-- Grids without any grid worker in a place, as of the end of a year, largest first
-- grain: one row per grid without a worker (at most $max_rows rows; the count is in grid_summary)
-- params: $region (six-digit code or ''), $year (stock as of 31 December), $max_rows
select
    g.grid_id,
    g.grid_type,
    g.residents,
    g.established_year,
    t.name as township_name,
    cr.short_name as county_name,
    pr.short_name as prefecture_name,
    g.county_code,
    g.source = 'demo' as is_demo,
from grid as g
left join township as t on t.code = g.township_code
left join region as cr on cr.code = g.county_code
left join region as pr on pr.code = g.prefecture_code
where ($region = '' or g.province_code = $region or g.prefecture_code = $region or g.county_code = $region)
    and g.established_year <= $year
    and g.workers_fulltime + g.workers_parttime = 0
order by g.residents desc, g.grid_id
limit $max_rows
