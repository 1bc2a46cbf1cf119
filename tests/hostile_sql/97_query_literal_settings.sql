-- expect: ServerInfoRefused
-- message: 自助查询不提供服务器配置信息
from query('from duckdb_settings()')
