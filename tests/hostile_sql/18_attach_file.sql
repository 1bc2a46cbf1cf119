-- expect: StatementNotAllowed
-- message: 已拒绝 ATTACH 语句
attach '/tmp/other.duckdb' as other
