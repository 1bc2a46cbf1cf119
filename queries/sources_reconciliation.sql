-- Published figures beside the warehouse's own aggregate for the same place, period and indicator
-- grain: one row per published figure (warehouse_value is null where the warehouse does not model it)
-- params: $region (six-digit code or ''): figures about that place and the places below it
-- A rate that claims every year of its period (published_figure.holds_every_year, pingan/rules.py: "以上" over
-- several years) is compared with the lowest year.
with fig as (
    select
        f.*,
        year(f.period_start) as start_year,
        year(f.period_end) as end_year,
    from published_figure as f
    where $region = ''
        or f.region_code in (
            select code from region
            where province_code = $region or prefecture_code = $region or code = $region
        )
),
fig_county as (  -- the counties each figure's place covers
    select f.figure_id, r.code as county_code
    from fig as f
    join region as r
        on r.level = 'county'
        and f.region_code in (r.province_code, r.prefecture_code, r.code)
),
grid_v as (  -- the grid records' stock at the end of the figure's last year (grid_year, record rows)
    select
        f.figure_id,
        case f.indicator
            when 'grid_count' then sum(g.grids)
            when 'grid_comprehensive_count' then sum(g.comprehensive_grids)
            when 'grid_dedicated_count' then sum(g.dedicated_grids)
            when 'grid_worker_count' then sum(g.workers)
            when 'grid_worker_fulltime' then sum(g.workers_fulltime)
            when 'grid_worker_parttime' then sum(g.workers_parttime)
        end as warehouse_value,
    from fig as f
    join fig_county as fc on fc.figure_id = f.figure_id
    join grid_year as g on g.county_code = fc.county_code and g.year = f.end_year and not g.is_report
    where f.indicator in ('grid_count', 'grid_comprehensive_count', 'grid_dedicated_count',
                          'grid_worker_count', 'grid_worker_fulltime', 'grid_worker_parttime')
    group by f.figure_id, f.indicator
    having sum(g.grids) > 0
),
facility_v as (
    select
        f.figure_id,
        case f.indicator
            when 'center_count' then count(*) filter (where x.facility_type = 'center')
            when 'center_county_count' then count(*) filter (where x.facility_type = 'center' and x.admin_level = 'county')
            when 'center_township_count' then count(*) filter (where x.facility_type = 'center' and x.admin_level = 'township')
            when 'center_village_count' then count(*) filter (where x.facility_type = 'center' and x.admin_level = 'village')
            when 'police_room_count' then count(*) filter (where x.facility_type = 'police_room')
            when 'justice_office_count' then count(*) filter (where x.facility_type = 'justice_office')
            when 'people_tribunal_count' then count(*) filter (where x.facility_type = 'tribunal')
            when 'onestop_center_count' then count(*) filter (where x.facility_type = 'onestop')
        end as warehouse_value,
    from fig as f
    join fig_county as fc on fc.figure_id = f.figure_id
    join facility as x on x.county_code = fc.county_code and x.established_year <= f.end_year
    where f.indicator in ('center_count', 'center_county_count', 'center_township_count', 'center_village_count',
                          'police_room_count', 'justice_office_count', 'people_tribunal_count',
                          'onestop_center_count')
    group by f.figure_id, f.indicator
),
coverage_v as (
    select
        f.figure_id,
        case f.indicator
            when 'center_township_coverage' then 100.0 * count(distinct t.code) filter (where exists (
                select 1 from facility as x
                where x.township_code = t.code and x.facility_type = 'center'
                    and x.admin_level = 'township' and x.established_year <= f.end_year))
                / nullif(count(distinct t.code), 0)
        end as warehouse_value,
    from fig as f
    join fig_county as fc on fc.figure_id = f.figure_id
    join township as t on t.county_code = fc.county_code
    where f.indicator = 'center_township_coverage'
    group by f.figure_id, f.indicator
),
onestop_cov as (
    select
        f.figure_id,
        100.0 * count(distinct fc.county_code) filter (where x.facility_id is not null)
            / nullif(count(distinct fc.county_code), 0) as warehouse_value,
    from fig as f
    join fig_county as fc on fc.figure_id = f.figure_id
    left join facility as x
        on x.county_code = fc.county_code and x.facility_type = 'onestop'
        and x.admin_level = 'county' and x.established_year <= f.end_year
    where f.indicator = 'onestop_coverage'
    group by f.figure_id
),
dispute_year as (  -- the case records' monthly rollup (dispute_month record rows); figures' periods are whole months
    select
        f.figure_id,
        year(d.month) as yr,
        sum(d.identified) as identified,
        sum(d.accepted) as accepted,
        sum(d.mediated) as mediated,
        sum(d.resolved) as resolved,
    from fig as f
    join fig_county as fc on fc.figure_id = f.figure_id
    join dispute_month as d
        on d.county_code = fc.county_code
        and d.month between f.period_start and f.period_end
        and not d.is_report
    where f.indicator like 'dispute_%'
    group by f.figure_id, yr
),
dispute_v as (
    select
        f.figure_id,
        case f.indicator
            when 'dispute_identified' then sum(y.identified)
            when 'dispute_accepted' then sum(y.accepted)
            when 'dispute_mediated' then sum(y.mediated)
            when 'dispute_resolved' then sum(y.resolved)
            when 'dispute_success_rate' then
                case when f.holds_every_year then min(100.0 * y.resolved / y.identified)
                     else 100.0 * sum(y.resolved) / sum(y.identified) end
        end as warehouse_value,
    from fig as f
    join dispute_year as y on y.figure_id = f.figure_id
    group by f.figure_id, f.indicator, f.holds_every_year, f.start_year, f.end_year
    having min(y.yr) = f.start_year and max(y.yr) = f.end_year  -- the data covers the whole period
),
antigang_part as (  -- each anti-gang indicator is itself, and a sum is its parts too (table indicator_part)
    select code as part, code as indicator from indicator where domain = 'anti_gang'
    union all
    select s.part, s.total
    from indicator_part as s
    join indicator as i on i.code = s.total and i.domain = 'anti_gang'
    where s.rule = 'sum'
),
antigang_v as (
    select
        f.figure_id,
        sum(a.value) as warehouse_value,
    from fig as f
    join fig_county as fc on fc.figure_id = f.figure_id
    join antigang_part as p on p.indicator = f.indicator
    join antigang_tally as a
        on a.county_code = fc.county_code
        and a.year between f.start_year and f.end_year
        and not a.is_report  -- the calibration is checked against records, not imported reports
        and a.indicator = p.part
    where f.indicator like 'ag\_%' escape '\'
    group by f.figure_id, f.start_year
    -- the campaign's tallies start in its first year (table campaign_phase)
    having min(a.year) <= greatest(f.start_year, (select min(first_year) from campaign_phase))
),
survey_year as (
    select
        f.figure_id,
        s.year,
        100.0 * sum(s.positive) / sum(s.sample_size) as rate,
    from fig as f
    join fig_county as fc on fc.figure_id = f.figure_id
    join survey_result as s
        on s.county_code = fc.county_code
        and s.indicator = f.indicator
        and not s.is_report
        and s.year between f.start_year and f.end_year
    where f.indicator like 'sat\_%' escape '\'
    group by f.figure_id, s.year
),
survey_v as (
    select
        f.figure_id,
        case when f.holds_every_year then min(y.rate)
             else sum(y.rate) / count(*) end as warehouse_value,
    from fig as f
    join survey_year as y on y.figure_id = f.figure_id
    group by f.figure_id, f.holds_every_year, f.start_year, f.end_year
    having min(y.year) = f.start_year and max(y.year) = f.end_year
),
modelled as (
    select * from grid_v
    union all select * from facility_v
    union all select * from coverage_v
    union all select * from onestop_cov
    union all select * from dispute_v
    union all select * from antigang_v
    union all select * from survey_v
)
select
    f.figure_id,
    f.article,
    f.region_code,
    f.region_name,
    f.indicator,
    i.name_zh as indicator_name,
    f.value as published_value,
    f.unit,
    f.qualifier,
    f.period_start,
    f.period_end,
    f.calibrated,
    f.quote,
    m.warehouse_value,
    case
        when m.warehouse_value is null then null
        else m.warehouse_value >= f.match_from and (f.match_below is null or m.warehouse_value < f.match_below)
    end as matches,  -- the figure's interval: pingan/rules.py, data/published/README.md
from fig as f
left join modelled as m on m.figure_id = f.figure_id
left join indicator as i on i.code = f.indicator
order by f.figure_id
