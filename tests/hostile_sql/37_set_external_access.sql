-- expect: StatementNotAllowed
-- message: 已拒绝 SET 语句
set enable_external_access = true
