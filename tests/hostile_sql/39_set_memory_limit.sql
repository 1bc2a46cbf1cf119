-- expect: StatementNotAllowed
-- message: 已拒绝 SET 语句
set memory_limit = '100GB'
