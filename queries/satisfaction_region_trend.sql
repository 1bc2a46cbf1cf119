-- Survey indices of one place in every survey year: positive answers and respondents summed over its counties
-- grain: one row per survey year and index
-- params: $region (six-digit code or '')
-- The rate is sample-weighted (sum of positives ÷ sum of respondents), as sources_reconciliation.sql computes it;
-- the counts are returned so that the page can put a Wilson interval around it.
select
    s.year,
    s.indicator,
    sum(s.positive) as positive,
    sum(s.sample_size) as sample_size,
    100.0 * sum(s.positive) / sum(s.sample_size) as rate_pct,
    bool_or(s.source = 'demo') as has_demo
from survey_result as s
where ($region = '' or s.province_code = $region or s.prefecture_code = $region or s.county_code = $region)
group by s.year, s.indicator
order by s.indicator, s.year
