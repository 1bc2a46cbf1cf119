-- expect: StatementNotAllowed
-- message: 已拒绝 EXPLAIN CREATE 语句
explain create temp view v as select 1
