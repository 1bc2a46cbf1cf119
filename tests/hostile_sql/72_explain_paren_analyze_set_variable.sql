-- expect: StatementNotAllowed
-- message: 已拒绝 EXPLAIN SET 语句
explain (analyze) set variable x = 1
