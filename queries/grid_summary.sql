-- Grids and grid workers in a place as of the end of a year
-- grain: one row for the place ($region = '' means everything in scope)
-- params: $region (six-digit code or ''), $year (stock as of 31 December of that year)
select
    count(*) as grids,
    count(*) filter (where grid_type = 'comprehensive') as comprehensive_grids,
    count(*) filter (where grid_type = 'dedicated') as dedicated_grids,
    coalesce(sum(workers_fulltime + workers_parttime), 0) as workers,
    coalesce(sum(workers_fulltime), 0) as workers_fulltime,
    coalesce(sum(workers_parttime), 0) as workers_parttime,
    count(*) filter (where workers_fulltime + workers_parttime = 0) as grids_without_worker,
    coalesce(sum(residents), 0) as residents,
    bool_or(source = 'demo') as has_demo,
from grid
where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
    and established_year <= $year
