-- expect: StatementNotAllowed
-- message: 已拒绝 DROP 语句
drop table region
