-- Grids, grid workers, governance centres and their coverage in each sub-region of a place, as of the end of a year
-- grain: one row per sub-region at $child_level that has grid data, plus one row for the whole place
--        (is_total, code = $region): the page needs both, and one pass over the facts gives both
-- params: $region (six-digit code or ''), $child_level (province | prefecture | county), $year (stock as of
--         31 December). Rate columns are named by their indicator code; per-capita figures use the 2020 census.
-- Coverage as in sources_reconciliation: a township is covered when it has a township-level centre; a county when it
-- has a county-level centre (一站式: a county-level one-stop centre). Village-level centres carry only their township,
-- so villages covered = least(village-level centres, villages) per county (an estimate; villages are demo estimates).
-- Grid and worker counts read the yearly rollup grid_year (pingan/rollups.py): an imported grid report replaces the
-- grid records it covers in a sub-region or in the whole place that contains it (a prefecture's report counts in
-- the total, not in its counties' rows); facility counts likewise from facility_year. has_demo: some figure shown
-- is demo data (grid_demo: of the grid counts, facility_count_demo: of the facility counts);
-- records_demo: the grid records
-- behind the maps (grid points, densities) hold demo rows.
with county as (
    select code, province_code, prefecture_code, population
    from region
    where level = 'county'
        and in_scope
        and ($region = '' or province_code = $region or prefecture_code = $region or code = $region)
),
grid_rank as (  -- the place's rank and its sub-regions' (tables place_rank, place_level)
    select
        (select max(rank) from place_rank where code = $region) as place_rank,
        (select max(rank) from place_level where level = $child_level) as child_rank,
),
grid_rows as (
    select
        g.*,
        case $child_level
            when 'province' then g.province_code
            when 'prefecture' then g.prefecture_code
            else g.county_code
        end as child_code,
        g.counts_from_rank <= k.child_rank as in_child,
        g.counts_from_rank <= k.place_rank as in_total,
    from grid_year as g
    cross join grid_rank as k
    where ($region = '' or g.province_code = $region or g.prefecture_code = $region or g.county_code = $region)
        and g.year = $year
),
grid_c as (  -- counties with grid records (the counties a sub-region's population and facilities are summed over)
    select county_code, bool_or(demo_grids > 0) as has_demo
    from grid_rows
    where not is_report and grids > 0
    group by county_code
),
grid_b as (  -- grid figures per sub-region and for the whole place, imported reports first
    select
        child_code as code,
        false as is_total,
        sum(grids) as grids,
        case when count(*) filter (where comprehensive_grids is null) = 0 then sum(comprehensive_grids) end
            as comprehensive_grids,
        case when count(*) filter (where dedicated_grids is null) = 0 then sum(dedicated_grids) end as dedicated_grids,
        case when count(*) filter (where workers is null) = 0 then sum(workers) end as workers,
        case when count(*) filter (where workers_fulltime is null) = 0 then sum(workers_fulltime) end
            as workers_fulltime,
        case when count(*) filter (where workers_parttime is null) = 0 then sum(workers_parttime) end
            as workers_parttime,
        case when count(*) filter (where grids_without_worker is null) = 0 then sum(grids_without_worker) end
            as grids_without_worker,
        case when count(*) filter (where grid_residents is null) = 0 then sum(grid_residents) end as grid_residents,
        bool_or(demo_grids > 0) as has_demo,
    from grid_rows
    where in_child and child_code is not null
    group by child_code
    union all
    select
        null, true,
        sum(grids),
        case when count(*) filter (where comprehensive_grids is null) = 0 then sum(comprehensive_grids) end,
        case when count(*) filter (where dedicated_grids is null) = 0 then sum(dedicated_grids) end,
        case when count(*) filter (where workers is null) = 0 then sum(workers) end,
        case when count(*) filter (where workers_fulltime is null) = 0 then sum(workers_fulltime) end,
        case when count(*) filter (where workers_parttime is null) = 0 then sum(workers_parttime) end,
        case when count(*) filter (where grids_without_worker is null) = 0 then sum(grids_without_worker) end,
        case when count(*) filter (where grid_residents is null) = 0 then sum(grid_residents) end,
        bool_or(demo_grids > 0),
    from grid_rows
    where in_total
    having count(*) > 0
),
fac_rows as (  -- facility counts (facility_year), imported facility reports first, as grid_rows
    select
        f.*,
        case $child_level
            when 'province' then f.province_code
            when 'prefecture' then f.prefecture_code
            else f.county_code
        end as child_code,
        f.counts_from_rank <= k.child_rank as in_child,
        f.counts_from_rank <= k.place_rank as in_total,
    from facility_year as f
    cross join grid_rank as k
    where ($region = '' or f.province_code = $region or f.prefecture_code = $region or f.county_code = $region)
        and f.year = $year
),
fac_b as (
    select
        child_code as code,
        false as is_total,
        case when count(*) filter (where centers_prefecture is null) = 0 then sum(centers_prefecture) end as centers_prefecture,
        case when count(*) filter (where centers_county is null) = 0 then sum(centers_county) end as centers_county,
        case when count(*) filter (where centers_township is null) = 0 then sum(centers_township) end as centers_township,
        case when count(*) filter (where centers_village is null) = 0 then sum(centers_village) end as centers_village,
        case when count(*) filter (where onestop_centers is null) = 0 then sum(onestop_centers) end as onestop_centers,
        case when count(*) filter (where police_rooms is null) = 0 then sum(police_rooms) end as police_rooms,
        case when count(*) filter (where justice_offices is null) = 0 then sum(justice_offices) end as justice_offices,
        case when count(*) filter (where tribunals is null) = 0 then sum(tribunals) end as tribunals,
        bool_or(demo_facilities > 0) as has_demo,
    from fac_rows
    where in_child and child_code is not null
    group by child_code
    union all
    select
        null, true,
        case when count(*) filter (where centers_prefecture is null) = 0 then sum(centers_prefecture) end,
        case when count(*) filter (where centers_county is null) = 0 then sum(centers_county) end,
        case when count(*) filter (where centers_township is null) = 0 then sum(centers_township) end,
        case when count(*) filter (where centers_village is null) = 0 then sum(centers_village) end,
        case when count(*) filter (where onestop_centers is null) = 0 then sum(onestop_centers) end,
        case when count(*) filter (where police_rooms is null) = 0 then sum(police_rooms) end,
        case when count(*) filter (where justice_offices is null) = 0 then sum(justice_offices) end,
        case when count(*) filter (where tribunals is null) = 0 then sum(tribunals) end,
        bool_or(demo_facilities > 0),
    from fac_rows
    where in_total
),
facility_c as (
    select
        county_code,
        count(*) filter (where facility_type = 'center' and admin_level = 'prefecture') as centers_prefecture,
        count(*) filter (where facility_type = 'center' and admin_level = 'county') as centers_county,
        count(*) filter (where facility_type = 'center' and admin_level = 'township') as centers_township,
        count(*) filter (where facility_type = 'center' and admin_level = 'village') as centers_village,
        count(*) filter (where facility_type = 'center' and admin_level = 'county' and standardized)
            as centers_county_std,
        count(*) filter (where facility_type = 'center' and admin_level = 'township' and standardized)
            as centers_township_std,
        count(*) filter (where facility_type = 'center' and admin_level = 'village' and standardized)
            as centers_village_std,
        count(*) filter (where facility_type = 'onestop') as onestop_centers,
        count(*) filter (where facility_type = 'onestop' and admin_level = 'county') as onestop_county,
        count(*) filter (where facility_type = 'police_room') as police_rooms,
        count(*) filter (where facility_type = 'justice_office') as justice_offices,
        count(*) filter (where facility_type = 'tribunal') as tribunals,
        bool_or(source = 'demo') as has_demo,
    from facility
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and established_year <= $year
    group by county_code
),
township_center as (
    select
        township_code,
        count(*) as centers,
        count(*) filter (where standardized) as centers_std,
    from facility
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and established_year <= $year
        and facility_type = 'center'
        and admin_level = 'township'
    group by township_code
),
township_c as (
    select
        t.county_code,
        count(*) as townships,
        count(*) filter (where tc.centers > 0) as townships_with_center,
        count(*) filter (where tc.centers_std > 0) as townships_with_std_center,
        sum(t.villages) as villages,
    from township as t
    left join township_center as tc on tc.township_code = t.code
    where ($region = '' or t.province_code = $region or t.prefecture_code = $region or t.county_code = $region)
    group by t.county_code
),
per_county as (
    select
        case $child_level
            when 'province' then c.province_code
            when 'prefecture' then c.prefecture_code
            else c.code
        end as code,
        c.population,
        coalesce(f.centers_prefecture, 0) as centers_prefecture,
        coalesce(f.centers_county, 0) as centers_county,
        coalesce(f.centers_township, 0) as centers_township,
        coalesce(f.centers_village, 0) as centers_village,
        coalesce(f.centers_county_std, 0) as centers_county_std,
        coalesce(f.centers_township_std, 0) as centers_township_std,
        coalesce(f.centers_village_std, 0) as centers_village_std,
        coalesce(f.onestop_centers, 0) as onestop_centers,
        coalesce(f.police_rooms, 0) as police_rooms,
        coalesce(f.justice_offices, 0) as justice_offices,
        coalesce(f.tribunals, 0) as tribunals,
        case when coalesce(f.centers_county, 0) > 0 then 1 else 0 end as county_with_center,
        case when coalesce(f.onestop_county, 0) > 0 then 1 else 0 end as county_with_onestop,
        coalesce(t.townships, 0) as townships,
        coalesce(t.townships_with_center, 0) as townships_with_center,
        coalesce(t.townships_with_std_center, 0) as townships_with_std_center,
        coalesce(t.villages, 0) as villages,
        least(coalesce(f.centers_village, 0), coalesce(t.villages, 0)) as villages_with_center,
        least(coalesce(f.centers_village_std, 0), coalesce(t.villages, 0)) as villages_with_std_center,
        g.has_demo as records_demo,
        coalesce(f.has_demo, false) as facility_demo,
    from county as c
    join grid_c as g on g.county_code = c.code
    left join facility_c as f on f.county_code = c.code
    left join township_c as t on t.county_code = c.code
),
by_region as (
    select
        code,
        sum(population) as population,
        count(*) as counties,
        sum(centers_prefecture) as centers_prefecture,
        sum(centers_county) as centers_county,
        sum(centers_township) as centers_township,
        sum(centers_village) as centers_village,
        sum(centers_county_std) as centers_county_std,
        sum(centers_township_std) as centers_township_std,
        sum(centers_village_std) as centers_village_std,
        sum(onestop_centers) as onestop_centers,
        sum(police_rooms) as police_rooms,
        sum(justice_offices) as justice_offices,
        sum(tribunals) as tribunals,
        sum(county_with_center) as counties_with_center,
        sum(county_with_onestop) as counties_with_onestop,
        sum(townships) as townships,
        sum(townships_with_center) as townships_with_center,
        sum(townships_with_std_center) as townships_with_std_center,
        sum(villages) as villages,
        sum(villages_with_center) as villages_with_center,
        sum(villages_with_std_center) as villages_with_std_center,
        bool_or(records_demo) as records_demo,
        bool_or(facility_demo) as facility_demo,
        grouping(code) = 1 as is_total,
    from per_county
    group by grouping sets ((code), ())
)
select
    coalesce(b.code, $region) as code,
    b.is_total,
    coalesce(r.name, '') as name,
    coalesce(r.short_name, '') as short_name,
    r.lon,
    r.lat,
    b.population,
    b.counties,
    g.grids,
    g.comprehensive_grids,
    g.dedicated_grids,
    g.workers,
    g.workers_fulltime,
    g.workers_parttime,
    g.grids_without_worker,
    g.grid_residents,
    fb.centers_prefecture,
    fb.centers_county,
    fb.centers_township,
    fb.centers_village,
    b.centers_county_std,
    b.centers_township_std,
    b.centers_village_std,
    fb.onestop_centers,
    fb.police_rooms,
    fb.justice_offices,
    fb.tribunals,
    b.counties_with_center,
    b.counties_with_onestop,
    b.townships,
    b.townships_with_center,
    b.townships_with_std_center,
    b.villages,
    b.villages_with_center,
    b.villages_with_std_center,
    g.has_demo or b.facility_demo or coalesce(fb.has_demo, false) as has_demo,
    g.has_demo as grid_demo,  -- the grid and worker counts shown are demo data
    coalesce(fb.has_demo, false) as facility_count_demo,  -- the facility counts shown are demo data
    b.records_demo or b.facility_demo as records_demo,
    10000.0 * g.grids / nullif(b.population, 0) as grids_per_10k,
    1.0 * b.population / nullif(g.grids, 0) as residents_per_grid,
    1.0 * g.workers / nullif(g.grids, 0) as workers_per_grid,
    100.0 * g.workers_fulltime / nullif(g.workers, 0) as grid_worker_fulltime_share,
    100.0 * g.grids_without_worker / nullif(g.grids, 0) as grid_without_worker_share,
    100.0 * b.counties_with_center / nullif(b.counties, 0) as center_county_coverage,
    100.0 * b.townships_with_center / nullif(b.townships, 0) as center_township_coverage,
    100.0 * b.villages_with_center / nullif(b.villages, 0) as center_village_coverage,
    100.0 * b.centers_county_std / nullif(b.centers_county, 0) as center_standardized_rate_county,
    100.0 * b.centers_township_std / nullif(b.centers_township, 0) as center_standardized_rate_township,
    100.0 * b.centers_village_std / nullif(b.centers_village, 0) as center_standardized_rate_village,
    100.0 * b.counties_with_onestop / nullif(b.counties, 0) as onestop_coverage,
from by_region as b
join grid_b as g on g.is_total = b.is_total and (b.is_total or g.code = b.code)
left join fac_b as fb on fb.is_total = b.is_total and (b.is_total or fb.code = b.code)
left join region as r on r.code = coalesce(b.code, $region)
where g.grids is not null  -- no grid data at all: no total row either
order by b.is_total, b.code
