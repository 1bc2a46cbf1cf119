-- expect: StatementNotAllowed
-- message: 已拒绝 CHECKPOINT 语句
checkpoint
