-- expect: StatementNotAllowed
-- message: 只能解释 SELECT
explain analyze insert into region (code) values ('999999')
