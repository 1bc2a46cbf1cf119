-- expect: FileAccessRefused
-- message: 不能访问服务器上的文件
select * from duckdb_secrets()
