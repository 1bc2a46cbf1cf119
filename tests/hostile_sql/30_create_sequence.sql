-- expect: StatementNotAllowed
-- message: 已拒绝 CREATE 语句
create sequence s
