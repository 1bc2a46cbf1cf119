-- expect: StatementNotAllowed
-- message: 已拒绝 ALTER 语句
alter table region add column stolen integer
