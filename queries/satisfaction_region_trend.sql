-- Survey indices of one place in every survey year: positive answers and respondents summed over its counties
-- grain: one row per survey year and index
-- params: $region (six-digit code or '')
-- The rate is sample-weighted (sum of positives ÷ sum of respondents), as sources_reconciliation.sql computes it;
-- the counts are returned so that the page can put a Wilson interval around it.
with place as (  -- 0 all of China, 1 province, 2 prefecture, 3 county: imported reports at this level or below count
    select coalesce(max(case level when 'province' then 1 when 'prefecture' then 2 else 3 end), 0) as level_rank
    from region
    where code = $region
)
select
    s.year,
    s.indicator,
    sum(s.positive) as positive,
    sum(s.sample_size) as sample_size,
    100.0 * sum(s.positive) / sum(s.sample_size) as rate_pct,
    bool_or(s.source = 'demo') as has_demo
from survey_result as s
cross join place as p
where ($region = '' or s.province_code = $region or s.prefecture_code = $region or s.county_code = $region)
    and (s.cover_rank is null or s.cover_rank < p.level_rank)
group by s.year, s.indicator
order by s.indicator, s.year
