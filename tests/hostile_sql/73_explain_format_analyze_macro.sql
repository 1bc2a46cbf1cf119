-- expect: StatementNotAllowed
-- message: 已拒绝 EXPLAIN CREATE 语句
EXPLAIN (FORMAT JSON, ANALYZE) create temp macro m(a) as a + 1
