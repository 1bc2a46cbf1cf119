-- expect: ServerInfoRefused
-- message: 自助查询不提供服务器配置信息
from json_execute_serialized_sql(json_serialize_sql('select path from duckdb_databases()'))
