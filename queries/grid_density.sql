-- Where the grids are: grids and grid workers binned into square cells of longitude and latitude
-- grain: one row per cell of $cell_deg degrees that holds at least one grid of the place
-- params: $region (six-digit code or ''), $year (stock as of 31 December), $cell_deg (cell size in degrees)
with binned as (
    select
        floor(lon / $cell_deg) as ix,
        floor(lat / $cell_deg) as iy,
        workers_fulltime + workers_parttime as workers,
    from grid
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and established_year <= $year
        and lon is not null
        and lat is not null
)
select
    round((ix + 0.5) * $cell_deg, 4) as lon,
    round((iy + 0.5) * $cell_deg, 4) as lat,
    count(*) as grids,
    sum(workers) as workers,
from binned
group by ix, iy
order by grids desc
