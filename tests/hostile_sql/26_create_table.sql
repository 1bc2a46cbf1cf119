-- expect: StatementNotAllowed
-- message: 已拒绝 CREATE 语句
create table stolen as select * from region
