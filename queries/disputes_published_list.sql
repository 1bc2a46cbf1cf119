-- Which dispute figures are published, for which place and period (to know where to look before looking)
-- grain: one row per published dispute figure about $region or a place below it
-- params: $region (six-digit code or '' = everywhere)
select
    f.figure_id,
    f.region_code,
    f.region_name,
    f.indicator,
    f.period_start,
    f.period_end,
from published_figure as f
join region as r on r.code = f.region_code
where ($region = '' or r.province_code = $region or r.prefecture_code = $region or r.code = $region)
    and f.indicator in ('dispute_identified', 'dispute_accepted', 'dispute_mediated', 'dispute_resolved',
                        'dispute_followed_up', 'dispute_success_rate')
order by f.region_code, f.period_start, f.indicator
