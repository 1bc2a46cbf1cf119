-- expect: StatementNotAllowed
-- message: 已拒绝 LOAD 语句
load httpfs
