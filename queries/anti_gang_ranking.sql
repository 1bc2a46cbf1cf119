-- Sub-regions of a place ranked by each anti-gang tally per 10万 residents (2020 census), the raw count beside it
-- grain: one row per sub-region and indicator (base indicators and the sums 集团+团伙, 黑+集团+团伙)
-- params: $parent_region (ranked place; '' = provinces), $child_level (province|prefecture|county), $first_year, $last_year
with child_rank as (  -- imported reports at the sub-regions' level or below count, wider ones do not
    select max(rank) as level_rank from place_level where level = $child_level
),
part as (  -- each base indicator counts for itself and for the sums it is a part of (table indicator_part)
    select code as part, code as indicator from indicator where domain = 'anti_gang'
    union all
    select s.part, s.total
    from indicator_part as s
    join indicator as i on i.code = s.total and i.domain = 'anti_gang'
    where s.rule = 'sum'
),
tally as (
    select
        case $child_level
            when 'province' then a.province_code
            when 'prefecture' then a.prefecture_code
            else a.county_code
        end as code,
        p.indicator,
        a.value,
        a.source
    from antigang_tally as a
    join part as p on p.part = a.indicator
    cross join child_rank as k
    where ($parent_region = '' or a.province_code = $parent_region or a.prefecture_code = $parent_region)
        and a.year between $first_year and $last_year
        and a.counts_from_rank <= k.level_rank
),
per_capita as (
    select
        t.code,
        t.indicator,
        sum(t.value) as value,
        bool_or(t.source = 'demo') as has_demo
    from tally as t
    group by t.code, t.indicator
)
select
    p.code,
    r.name,
    r.short_name,
    r.population,
    p.indicator,
    i.name_zh,
    i.name_en,
    i.unit,
    p.value,
    100000.0 * p.value / nullif(r.population, 0) as per_100k,
    rank() over (partition by p.indicator order by 100000.0 * p.value / nullif(r.population, 0) desc nulls last)
        as rank_per_100k,
    rank() over (partition by p.indicator order by p.value desc) as rank_value,
    count(*) over (partition by p.indicator) as regions,
    p.has_demo
from per_capita as p
join region as r on r.code = p.code
join indicator as i on i.code = p.indicator
order by p.indicator, rank_per_100k, p.code
