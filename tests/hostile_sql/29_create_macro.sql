-- expect: StatementNotAllowed
-- message: 已拒绝 CREATE 语句
create or replace temp macro evil(x) as x
