-- expect: QueryInterrupted
-- message: 时间上限
-- time_limit: 1
select count(*) from range(1000000000) as a, range(1000000000) as b
