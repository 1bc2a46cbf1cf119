-- Survey indices of one place in every survey year: positive answers and respondents summed over its counties
-- grain: one row per survey year and index
-- params: $region (six-digit code or '')
-- The rate is sample-weighted (sum of positives ÷ sum of respondents), as sources_reconciliation.sql computes it;
-- the counts are returned so that the page can put a Wilson interval around it.
with place as (  -- the place's rank (table place_rank): imported reports at this level or below count
    select max(rank) as level_rank
    from place_rank
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
    and s.counts_from_rank <= p.level_rank
group by s.year, s.indicator
order by s.indicator, s.year
