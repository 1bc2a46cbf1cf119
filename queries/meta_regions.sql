-- Regions in scope with data, for the scope filter
-- scope: none
-- grain: one row per region
select code, name, short_name, level, parent_code, province_code, prefecture_code, population, lon, lat
from region
where in_scope
order by code
