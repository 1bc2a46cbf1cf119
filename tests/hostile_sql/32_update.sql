-- expect: StatementNotAllowed
-- message: 已拒绝 UPDATE 语句
update dispute_case set outcome = 'resolved'
