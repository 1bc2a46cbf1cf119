-- expect: MultipleStatements
-- message: 一次只能运行一条
select 1; -- harmless?
create temp table t as select 1
