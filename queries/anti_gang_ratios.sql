-- Ratios between anti-gang tallies of a place over a span of years (处分 per 保护伞 case, assets per case …)
-- grain: one row per ratio; the numerator and denominator are the sums over the years
-- params: $region (six-digit code or '' for everything), $first_year, $last_year (inclusive)
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
totals as (
    select
        p.indicator,
        sum(a.value) as value
    from antigang_tally as a
    join part as p on p.part = a.indicator
    cross join place as pl
    where ($region = '' or a.province_code = $region or a.prefecture_code = $region or a.county_code = $region)
        and a.counts_from_rank <= pl.level_rank
        and a.year between $first_year and $last_year
    group by p.indicator
),
ratio_def (sort_order, ratio, numerator, denominator, scale, name_zh, name_en, unit_zh, unit_en) as (
    values
        (1, 'disciplined_per_umbrella_case', 'ag_disciplined', 'ag_umbrella_cases', 1.0,
            '每件“保护伞”案件给予党纪政务处分', 'Sanctions per protection case', '人/件', 'people per case'),
        (2, 'people_per_umbrella_case', 'ag_umbrella_people', 'ag_umbrella_cases', 1.0,
            '每件“保护伞”案件处理人数', 'People handled per protection case', '人/件', 'people per case'),
        (3, 'transferred_share', 'ag_transferred', 'ag_umbrella_people', 100.0,
            '“保护伞”处理人员中移送司法机关的比例', 'Share of people handled who were transferred', '%', '%'),
        (4, 'assets_per_case', 'ag_assets_yuan', 'ag_criminal_cases', 0.0001,
            '每起刑事案件查封扣押冻结资产', 'Assets seized per criminal case', '万元/起', '10k yuan per case'),
        (5, 'assets_per_gang', 'ag_assets_yuan', 'ag_gang_total', 0.0001,
            '每个黑恶团伙查封扣押冻结资产', 'Assets seized per gang', '万元/个', '10k yuan per gang'),
        (6, 'suspects_per_gang', 'ag_suspects', 'ag_gang_total', 1.0,
            '每个黑恶团伙抓获犯罪嫌疑人', 'Suspects per gang', '人/个', 'people per gang'),
        (7, 'cases_per_gang', 'ag_criminal_cases', 'ag_gang_total', 1.0,
            '每个黑恶团伙破获刑事案件', 'Criminal cases per gang', '起/个', 'cases per gang'),
        (8, 'black_org_share', 'ag_black_org', 'ag_gang_total', 100.0,
            '涉黑组织占打掉黑恶团伙的比例', 'Mafia-type organisations among all gangs', '%', '%')
)
select
    d.ratio,
    d.name_zh,
    d.name_en,
    d.unit_zh,
    d.unit_en,
    d.scale * n.value / nullif(m.value, 0) as ratio_value,
    d.numerator,
    ni.name_zh as numerator_name_zh,
    ni.name_en as numerator_name_en,
    n.value as numerator_value,
    d.denominator,
    mi.name_zh as denominator_name_zh,
    mi.name_en as denominator_name_en,
    m.value as denominator_value
from ratio_def as d
left join totals as n on n.indicator = d.numerator
left join totals as m on m.indicator = d.denominator
left join indicator as ni on ni.code = d.numerator
left join indicator as mi on mi.code = d.denominator
order by d.sort_order
