-- expect: StatementNotAllowed
-- message: 已拒绝 USE 语句
use memory
