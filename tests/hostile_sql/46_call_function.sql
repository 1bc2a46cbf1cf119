-- expect: StatementNotAllowed
-- message: 已拒绝 CALL 语句
call pragma_version()
