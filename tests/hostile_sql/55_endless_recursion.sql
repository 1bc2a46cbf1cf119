-- expect: QueryInterrupted
-- message: 时间上限
-- time_limit: 1
with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r
