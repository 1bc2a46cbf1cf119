-- expect: StatementNotAllowed
-- message: 已拒绝 INSERT 语句
insert into region select * from region limit 1
