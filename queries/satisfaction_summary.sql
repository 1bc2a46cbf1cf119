-- Survey indices for a place in one year: share of positive answers, weighted by respondents
-- grain: one row per index
-- params: $region (six-digit code or ''), $year
with place as (  -- the place's rank (table place_rank): imported reports at this level or below count
    select max(rank) as level_rank
    from place_rank
    where code = $region
)
select
    s.indicator,
    i.name_zh,
    i.name_en,
    i.target,
    100.0 * sum(s.positive) / sum(s.sample_size) as rate_pct,
    sum(s.sample_size) as sample_size,
    bool_or(s.source = 'demo') as has_demo,
from survey_result as s
join indicator as i on i.code = s.indicator
cross join place as p
where ($region = '' or s.province_code = $region or s.prefecture_code = $region or s.county_code = $region)
    and s.year = $year
    and s.counts_from_rank <= p.level_rank
group by s.indicator, i.name_zh, i.name_en, i.target
order by s.indicator
