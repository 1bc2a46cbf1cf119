-- Grids, grid workers and governance centres in each township (乡镇、街道) of a place, as of the end of a year
-- grain: one row per township of the place (township list of the warehouse)
-- params: $region (six-digit code or ''), $year (stock as of 31 December)
-- Village-level centres carry only their township (not their village), so they are counted per township here;
-- villages per township are demo estimates.
with town as (
    select code, name, county_code, prefecture_code, province_code, villages
    from township
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
),
grid_t as (
    select
        township_code,
        count(*) as grids,
        sum(workers_fulltime + workers_parttime) as workers,
        count(*) filter (where workers_fulltime + workers_parttime = 0) as grids_without_worker,
        sum(residents) as grid_residents,
        bool_or(source = 'demo') as has_demo,
    from grid
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and established_year <= $year
    group by township_code
),
center_t as (
    select
        township_code,
        count(*) filter (where admin_level = 'township') as township_centers,
        count(*) filter (where admin_level = 'township' and standardized) as township_centers_std,
        count(*) filter (where admin_level = 'village') as village_centers,
        count(*) filter (where admin_level = 'village' and standardized) as village_centers_std,
        bool_or(source = 'demo') as has_demo,
    from facility
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and established_year <= $year
        and facility_type = 'center'
    group by township_code
)
select
    t.code,
    t.name,
    t.county_code,
    cr.short_name as county_name,
    pr.short_name as prefecture_name,
    coalesce(g.grids, 0) as grids,
    coalesce(g.workers, 0) as workers,
    coalesce(g.grids_without_worker, 0) as grids_without_worker,
    coalesce(g.grid_residents, 0) as grid_residents,
    coalesce(c.township_centers, 0) > 0 as has_center,
    coalesce(c.township_centers_std, 0) > 0 as has_std_center,
    t.villages,
    coalesce(c.village_centers, 0) as village_centers,
    coalesce(c.village_centers_std, 0) as village_centers_std,
    coalesce(g.has_demo, false) or coalesce(c.has_demo, false) as has_demo,
from town as t
left join grid_t as g on g.township_code = t.code
left join center_t as c on c.township_code = t.code
left join region as cr on cr.code = t.county_code
left join region as pr on pr.code = t.prefecture_code
order by t.code
