-- expect: StatementNotAllowed
-- message: 不能安装或加载扩展
load '/tmp/evil.duckdb_extension'
