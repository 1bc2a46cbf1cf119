-- expect: StatementNotAllowed
-- message: 已拒绝 TRUNCATE 语句
truncate region
