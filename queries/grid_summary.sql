-- Grids and grid workers in a place as of the end of a year
-- grain: one row for the place ($region = '' means everything in scope)
-- params: $region (six-digit code or ''), $year (stock as of 31 December of that year)
-- Reads the yearly rollup grid_year (pingan/rollups.py). Precedence: an imported grid report of the place or of a
-- region inside it, for the year, replaces the grid records of the counties it covers; a figure a counted report
-- leaves blank is unknown (null), and residents are only known from the grid records.
with place as (  -- the place's rank (table place_rank)
    select max(rank) as level_rank
    from place_rank
    where code = $region
),
counted as (
    select g.*
    from grid_year as g
    cross join place as p
    where ($region = '' or g.province_code = $region or g.prefecture_code = $region or g.county_code = $region)
        and g.year = $year
        and g.counts_from_rank <= p.level_rank
)
select
    coalesce(sum(grids), 0) as grids,
    case when count(*) filter (where comprehensive_grids is null) = 0
        then coalesce(sum(comprehensive_grids), 0) end as comprehensive_grids,
    case when count(*) filter (where dedicated_grids is null) = 0
        then coalesce(sum(dedicated_grids), 0) end as dedicated_grids,
    case when count(*) filter (where workers is null) = 0 then coalesce(sum(workers), 0) end as workers,
    case when count(*) filter (where workers_fulltime is null) = 0
        then coalesce(sum(workers_fulltime), 0) end as workers_fulltime,
    case when count(*) filter (where workers_parttime is null) = 0
        then coalesce(sum(workers_parttime), 0) end as workers_parttime,
    case when count(*) filter (where grids_without_worker is null) = 0
        then coalesce(sum(grids_without_worker), 0) end as grids_without_worker,
    case when count(*) filter (where grid_residents is null) = 0
        then coalesce(sum(grid_residents), 0) end as residents,
    case when count(*) > 0 then bool_or(demo_grids > 0) end as has_demo,
from counted
