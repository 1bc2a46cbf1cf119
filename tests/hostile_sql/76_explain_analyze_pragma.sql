-- expect: StatementNotAllowed
-- message: 已拒绝 EXPLAIN PRAGMA 语句
explain analyze pragma version
