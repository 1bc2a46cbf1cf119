-- expect: ServerInfoRefused
-- message: 自助查询不提供服务器配置信息
select r.code, s.value from region as r, lateral (select value from duckdb_settings() where name = 'temp_directory') as s limit 1
