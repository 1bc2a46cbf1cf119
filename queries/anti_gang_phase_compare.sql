-- Each anti-gang tally of a place in the 专项斗争 and the 常态化 phase, as totals and yearly averages
-- grain: one row per indicator (base indicators and the sums 集团+团伙, 黑+集团+团伙)
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
by_phase as (
    select
        p.indicator,
        a.phase,
        min(a.year) as first_year,
        max(a.year) as last_year,
        count(distinct a.year) as years,
        sum(a.value) as total
    from antigang_tally as a
    join part as p on p.part = a.indicator
    cross join place as pl
    where ($region = '' or a.province_code = $region or a.prefecture_code = $region or a.county_code = $region)
        and a.counts_from_rank <= pl.level_rank
    group by p.indicator, a.phase
)
select
    i.code as indicator,
    i.name_zh,
    i.name_en,
    i.unit,
    s.first_year as special_first_year,
    s.last_year as special_last_year,
    s.total as special_total,
    cast(s.total as double) / s.years as special_yearly_avg,
    r.first_year as routine_first_year,
    r.last_year as routine_last_year,
    r.total as routine_total,
    cast(r.total as double) / r.years as routine_yearly_avg,
    (cast(r.total as double) / r.years) / nullif(cast(s.total as double) / s.years, 0) as routine_vs_special
from indicator as i
join by_phase as s on s.indicator = i.code and s.phase = 'special'
join by_phase as r on r.indicator = i.code and r.phase = 'routine'
order by i.code
