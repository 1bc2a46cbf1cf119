-- expect: StatementNotAllowed
-- message: 已拒绝 DETACH 语句
detach system
