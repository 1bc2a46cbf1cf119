-- expect: StatementNotAllowed
-- message: 已拒绝 EXPORT 语句
export database '/tmp/pingan-dump'
