-- expect: StatementNotAllowed
-- message: 已拒绝 EXPLAIN CREATE 语句
explain analyze create temp table stolen as select * from region
