-- expect: ServerInfoRefused
-- message: 自助查询不提供服务器配置信息
from query_table(['region', 'duckdb_databases'])
