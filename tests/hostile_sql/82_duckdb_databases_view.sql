-- expect: ServerInfoRefused
-- message: 自助查询不提供服务器配置信息
select path from duckdb_databases
