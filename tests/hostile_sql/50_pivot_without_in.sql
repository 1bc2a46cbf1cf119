-- expect: StatementNotAllowed
-- message: 已拒绝 PIVOT 语句
pivot region on level using count(*)
