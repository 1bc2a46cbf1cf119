-- expect: StatementNotAllowed
-- message: 已拒绝 EXPLAIN COPY 语句
explain analyze copy (select 1) to '/tmp/pingan-stolen.csv'
