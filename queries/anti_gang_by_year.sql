-- Anti-gang tallies of a place by year, with each year's campaign phase and the running total
-- grain: one row per year and indicator (base indicators and the sums 集团+团伙, 黑+集团+团伙)
-- params: $region (six-digit code or '' for everything)
with place as (  -- the place's rank (table place_rank): imported reports at this level or below count
    select max(rank) as level_rank
    from place_rank
    where code = $region
),
part as (  -- each base indicator counts for itself and for the sums it is a part of (table indicator_part)
    select code as part, code as indicator from indicator where domain = 'anti_gang'
    union all
    select s.part, s.total
    from indicator_part as s
    join indicator as i on i.code = s.total and i.domain = 'anti_gang'
    where s.rule = 'sum'
),
yearly as (
    select
        a.year,
        a.phase,
        p.indicator,
        sum(a.value) as value,
        bool_or(a.source = 'demo') as has_demo
    from antigang_tally as a
    join part as p on p.part = a.indicator
    cross join place as pl
    where ($region = '' or a.province_code = $region or a.prefecture_code = $region or a.county_code = $region)
        and a.counts_from_rank <= pl.level_rank
    group by a.year, a.phase, p.indicator
)
select
    y.year,
    y.phase,
    y.indicator,
    i.name_zh,
    i.name_en,
    i.unit,
    y.value,
    sum(y.value) over (
        partition by y.indicator order by y.year rows between unbounded preceding and current row
    ) as cumulative_value,
    y.has_demo
from yearly as y
join indicator as i on i.code = y.indicator
order by y.indicator, y.year
