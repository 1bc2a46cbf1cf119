-- expect: StatementNotAllowed
-- message: 已拒绝 UPDATE 语句
update extensions
