-- expect: StatementNotAllowed
-- message: 已拒绝 RESET 语句
reset memory_limit
