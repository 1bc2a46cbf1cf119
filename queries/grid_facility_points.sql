-- Governance centres, one-stop mediation centres, police rooms, justice offices and tribunals of a place, as points
-- grain: one row per facility at an administrative level up to $max_level_rank
--        (1 prefecture, 2 county, 3 township, 4 village), established by the end of $year
-- params: $region (six-digit code or ''), $year, $max_level_rank
with ranked as (
    select
        facility_id,
        province_code,
        prefecture_code,
        county_code,
        facility_type,
        admin_level,
        case admin_level when 'prefecture' then 1 when 'county' then 2 when 'township' then 3 else 4 end
            as level_rank,
        standardized,
        name,
        lon,
        lat,
        source,
    from facility
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and established_year <= $year
        and lon is not null
        and lat is not null
)
select facility_id, province_code, prefecture_code, county_code, facility_type, admin_level, level_rank, standardized, name, lon, lat, source = 'demo' as is_demo,
from ranked
where level_rank <= $max_level_rank
order by level_rank desc, facility_id
