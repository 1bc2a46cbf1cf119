-- Regions in scope that have data in this snapshot, for the scope filter
-- scope: none
-- grain: one row per province, prefecture and county with survey or case data
with present as (
    select distinct province_code from survey_result
)
select r.code, r.name, r.short_name, r.level, r.parent_code, r.province_code, r.prefecture_code,
    r.population, r.lon, r.lat
from region as r
join present as p on p.province_code = r.province_code
where r.in_scope
order by r.code
