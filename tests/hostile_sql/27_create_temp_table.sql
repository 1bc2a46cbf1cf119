-- expect: StatementNotAllowed
-- message: 临时表也不行
create temp table scratch as select * from region
