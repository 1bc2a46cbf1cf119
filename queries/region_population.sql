-- Resident population of a place (2020 census, sum of its counties)
-- grain: one row
-- params: $region (six-digit code or '' for everything in scope)
select
    coalesce(sum(population), 0) as population,
    count(*) as counties,
from region
where level = 'county'
    and in_scope
    and ($region = '' or province_code = $region or prefecture_code = $region or code = $region)
