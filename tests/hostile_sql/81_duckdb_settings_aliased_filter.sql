-- expect: ServerInfoRefused
-- message: 自助查询不提供服务器配置信息
select s.value from duckdb_settings() as s where s.value like '%/%'
