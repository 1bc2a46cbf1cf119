-- Days from acceptance to resolution (median and P90) of resolved cases, by channel and by category
-- grain: one row per channel and one per category (dimension = 'channel' | 'category') that has resolved cases
-- params: $region (six-digit code or ''), $start, $end (inclusive dates), $category (category code or '' = all)
-- Exactly percentile_cont(0.5) and (0.9), computed from a small table of counts per days value rather than by
-- sorting every case (about 3x faster; tests check it against percentile_cont ... within group).
-- All of China or a province over whole months (every period a page offers) reads those counts from the rollup
-- dispute_resolve_days (province × month × category × channel × days, and the same for all of China under
-- province_code '000000'): 96 M cases nationally are 7 M rollup rows by province, 634 K for all of China.
-- A prefecture or county, or a period with part of a month, counts the cases themselves (the rollup has no finer
-- place, and a month is its smallest period). The two branches exclude each other by the parameters alone, so
-- DuckDB plans only the one that applies; tests check that both give the same answers.
-- closed_date − accepted_date = days in DuckDB and PostgreSQL (Spark: datediff).
with resolved as (
    select
        channel,
        category,
        days,
        sum(n) as n,
    from dispute_resolve_days
    where ($region = '' or $region like '__0000')
        and extract(day from $start) = 1
        and $end = last_day($end)
        and province_code = case when $region = '' then '000000' else $region end  -- 000000: all of China
        and month between $start and $end
        and ($category = '' or category = $category)
    group by channel, category, days
    union all
    select
        channel,
        category,
        closed_date - accepted_date as days,
        count(*) as n,
    from dispute_case
    where not (($region = '' or $region like '__0000') and extract(day from $start) = 1 and $end = last_day($end))
        and ($region = '' or province_code = $region or prefecture_code = $region or county_code = $region)
        and identified_date between $start and $end
        and ($category = '' or category = $category)
        and outcome = 'resolved'
    group by channel, category, closed_date - accepted_date
),
distribution as (
    select 'channel' as dimension, channel as code, days, sum(n) as n
    from resolved
    group by channel, days
    union all
    select 'category' as dimension, category as code, days, sum(n) as n
    from resolved
    group by category, days
),
cumulative as (
    select
        dimension,
        code,
        days,
        sum(n) over (partition by dimension, code order by days
                     rows between unbounded preceding and current row) as cum_n,
        sum(n) over (partition by dimension, code) as total_n,
    from distribution
),
ranks as (  -- percentile_cont(p) sits at rank p × (N − 1), counting from 0, between ranks floor and ceil
    select
        dimension,
        code,
        days,
        cum_n,
        total_n,
        0.5 * (total_n - 1) as median_rank,
        0.9 * (total_n - 1) as p90_rank,
    from cumulative
),
bounds as (  -- the value at rank k is the smallest days whose cumulative count exceeds k
    select
        dimension,
        code,
        total_n,
        median_rank,
        p90_rank,
        min(days) filter (where cum_n > floor(median_rank)) as median_lo,
        min(days) filter (where cum_n > ceiling(median_rank)) as median_hi,
        min(days) filter (where cum_n > floor(p90_rank)) as p90_lo,
        min(days) filter (where cum_n > ceiling(p90_rank)) as p90_hi,
    from ranks
    group by dimension, code, total_n, median_rank, p90_rank
),
names as (
    select 'channel' as dimension, code, name_zh, name_en from dispute_channel
    union all
    select 'category' as dimension, code, name_zh, name_en from dispute_category
)
select
    b.dimension,
    b.code,
    m.name_zh,
    m.name_en,
    b.total_n as resolved,
    b.median_lo + (b.median_rank - floor(b.median_rank)) * (b.median_hi - b.median_lo) as median_days,
    b.p90_lo + (b.p90_rank - floor(b.p90_rank)) * (b.p90_hi - b.p90_lo) as p90_days,
from bounds as b
join names as m on m.dimension = b.dimension and m.code = b.code
order by b.dimension, median_days desc, b.code
