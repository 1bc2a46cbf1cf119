-- expect: StatementNotAllowed
-- message: 已拒绝 PRAGMA 语句
pragma threads = 8
