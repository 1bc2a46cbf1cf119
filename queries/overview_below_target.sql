-- Sub-regions below the catalog's target on dispute success and on the sense of safety
-- grain: one row per sub-region and indicator that falls short
-- params: $region (six-digit code or ''), $child_level (province | prefecture | county), $start, $end, $year
with child as (
    select code, name, short_name
    from region
    where level = $child_level
        and in_scope
        and ($region = '' or province_code = $region or prefecture_code = $region or code = $region)
),
disputes as (  -- from the monthly rollup, imported reports first (see disputes_success_by_subregion)
    select
        case $child_level when 'province' then m.province_code
                          when 'prefecture' then m.prefecture_code
                          else m.county_code end as code,
        'dispute_success_rate' as indicator,
        100.0 * sum(m.resolved) / sum(m.identified) as value,
    from dispute_month as m
    where ($region = '' or m.province_code = $region or m.prefecture_code = $region or m.county_code = $region)
        and m.month >= $start
        and m.month_end <= $end
        and (m.counts_from_rank <= (select max(rank) from place_level where level = $child_level)
             or m.cover_start < $start or m.cover_end > $end)
    group by 1
    having count(*) filter (where m.identified is null or m.resolved is null) = 0
),
safety as (
    select
        case $child_level when 'province' then province_code
                          when 'prefecture' then prefecture_code
                          else county_code end as code,
        'sat_public_safety' as indicator,
        100.0 * sum(positive) / sum(sample_size) as value,
    from survey_result
    where ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and counts_from_rank <= (select max(rank) from place_level where level = $child_level)
        and year = $year
        and indicator = 'sat_public_safety'
    group by 1
)
select
    c.code,
    c.name,
    v.indicator,
    i.name_zh as indicator_name,
    v.value,
    i.target,
    v.value - i.target as gap,
from (select * from disputes union all select * from safety) as v
join child as c on c.code = v.code
join indicator as i on i.code = v.indicator
where v.value < i.target
order by gap
