-- expect: StatementNotAllowed
-- message: 已拒绝 DELETE 语句
delete from published_figure
