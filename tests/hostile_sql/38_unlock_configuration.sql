-- expect: StatementNotAllowed
-- message: 已拒绝 SET 语句
set lock_configuration = false
