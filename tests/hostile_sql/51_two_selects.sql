-- expect: MultipleStatements
-- message: 含 2 条语句
select 1; select 2
