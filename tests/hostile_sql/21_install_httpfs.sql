-- expect: StatementNotAllowed
-- message: 已拒绝 INSTALL 语句
install httpfs
