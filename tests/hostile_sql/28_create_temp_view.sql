-- expect: StatementNotAllowed
-- message: 已拒绝 CREATE 语句
create temporary view v as select 1
