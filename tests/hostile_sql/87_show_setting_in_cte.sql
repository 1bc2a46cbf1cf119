-- expect: ServerInfoRefused
-- message: 自助查询不提供服务器配置信息
with s as (show "secret_directory") select * from s
