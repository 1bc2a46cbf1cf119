-- expect: SyntaxRefused
-- message: single SELECT
select * from query('create temp table t as select 1')
