-- expect: StatementNotAllowed
-- message: 已拒绝 COPY 语句
copy (select * from dispute_case) to '/tmp/cases.parquet' (format parquet)
