-- expect: StatementNotAllowed
-- message: 已拒绝 BEGIN 语句
begin transaction
