-- expect: StatementNotAllowed
-- message: 不能拼接或计算
from query('select * from duck' || 'db_databases()')
