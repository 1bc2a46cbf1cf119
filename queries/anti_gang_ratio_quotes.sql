-- Ratios the documents state ("打掉的涉黑组织是前10年总和的1.62倍"), with the years the warehouse would need
-- grain: one row per published ratio figure of the place; warehouse_value is null until the prior years are loaded
-- params: $region (six-digit code or '' for every place)
with fig as (
    select
        figure_id,
        region_code,
        region_name,
        indicator,
        value as published_value,
        unit,
        quote,
        period_start,
        period_end,
        -- ag_black_org_ratio_vs_prior_10y: the base indicator and how many years before the period it is compared with
        -- (split_part and replace: DuckDB, Spark SQL and PostgreSQL spell them the same way; regexp_extract is not
        -- in PostgreSQL)
        split_part(indicator, '_ratio_vs_prior_', 1) as base_indicator,
        cast(replace(split_part(indicator, '_ratio_vs_prior_', 2), 'y', '') as integer) as prior_years
    from published_figure
    where indicator like 'ag\_%\_ratio\_vs\_prior\_%' escape '\'
        and ($region = '' or region_code = $region)
),
need as (
    select
        f.*,
        year(f.period_start) - f.prior_years as need_first_year,
        year(f.period_start) - 1 as need_last_year
    from fig as f
),
held as (  -- what the warehouse holds of the base indicator for the figure's place
    select
        n.figure_id,
        min(a.year) as data_first_year,
        max(a.year) as data_last_year,
        count(distinct a.year) filter (where a.year between n.need_first_year and n.need_last_year) as prior_years_held,
        sum(a.value) filter (where a.year between year(n.period_start) and year(n.period_end)) as period_value,
        sum(a.value) filter (where a.year between n.need_first_year and n.need_last_year) as prior_value
    from need as n
    join region as r  -- the counties of the figure's place, so that the tally joins on one column
        on r.level = 'county'
        and n.region_code in (r.province_code, r.prefecture_code, r.code)
    join antigang_tally as a
        on a.county_code = r.code
        and a.indicator = n.base_indicator
        and not a.is_report  -- records (calibrated demo rows), not imported reports
    group by n.figure_id
)
select
    n.figure_id,
    n.region_code,
    n.region_name,
    n.indicator,
    n.base_indicator,
    i.name_zh as base_name_zh,
    i.name_en as base_name_en,
    n.published_value,
    n.unit,
    n.quote,
    n.period_start,
    n.period_end,
    n.prior_years,
    n.need_first_year,
    n.need_last_year,
    h.data_first_year,
    h.data_last_year,
    coalesce(h.prior_years_held, 0) as prior_years_held,
    h.period_value,
    case
        when h.prior_years_held = n.prior_years and h.prior_value > 0
            then cast(h.period_value as double) / h.prior_value
    end as warehouse_value
from need as n
left join held as h on h.figure_id = n.figure_id
left join indicator as i on i.code = n.base_indicator
order by n.figure_id
