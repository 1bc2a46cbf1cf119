-- expect: FileAccessRefused
-- message: /tmp/leak.parquet
select * from read_parquet('/tmp/leak.parquet')
