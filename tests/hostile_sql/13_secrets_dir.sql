-- expect: ServerInfoRefused
-- message: 自助查询不提供服务器配置信息
select * from duckdb_secrets()
