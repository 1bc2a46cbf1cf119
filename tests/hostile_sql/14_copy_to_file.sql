-- expect: StatementNotAllowed
-- message: 已拒绝 COPY 语句
copy region to '/tmp/pingan-stolen.csv'
