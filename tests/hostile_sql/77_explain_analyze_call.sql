-- expect: StatementNotAllowed
-- message: 已拒绝 EXPLAIN CALL 语句
explain analyze call pragma_version()
