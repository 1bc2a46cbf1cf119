-- Anti-gang tallies of a place by year, with each year's campaign phase and the running total
-- grain: one row per year and indicator (base indicators and the sums 集团+团伙, 黑+集团+团伙)
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
        and (a.cover_rank is null or a.cover_rank < pl.level_rank)
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
