-- Each anti-gang tally of a place in the 专项斗争 and the 常态化 phase, as totals and yearly averages
-- grain: one row per indicator (base indicators and the sums 集团+团伙, 黑+集团+团伙)
-- params: $region (six-digit code or '' for everything)
with place as (  -- 0 all of China, 1 province, 2 prefecture, 3 county: imported reports at this level or below count
    select coalesce(max(case level when 'province' then 1 when 'prefecture' then 2 else 3 end), 0) as level_rank
    from region
    where code = $region
),
derived_part (part, indicator) as (  -- the sums of antigang_summary.sql and sources_reconciliation.sql
    values
        ('ag_evil_group', 'ag_evil_group_gang'),
        ('ag_evil_gang', 'ag_evil_group_gang'),
        ('ag_black_org', 'ag_gang_total'),
        ('ag_evil_group', 'ag_gang_total'),
        ('ag_evil_gang', 'ag_gang_total')
),
part as (  -- each base indicator counts for itself and for the sums it belongs to: one scan, one aggregate
    select code as part, code as indicator from indicator where domain = 'anti_gang'
    union all
    select part, indicator from derived_part
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
        and (a.cover_rank is null or a.cover_rank < pl.level_rank)
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
