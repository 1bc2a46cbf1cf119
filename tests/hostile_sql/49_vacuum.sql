-- expect: StatementNotAllowed
-- message: 已拒绝 VACUUM 语句
vacuum
