-- expect: StatementNotAllowed
-- message: 已拒绝 SET 语句
set variable stolen = (select 1)
