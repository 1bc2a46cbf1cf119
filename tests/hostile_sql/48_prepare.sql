-- expect: StatementNotAllowed
-- message: 已拒绝 PREPARE 语句
prepare p as select 1
