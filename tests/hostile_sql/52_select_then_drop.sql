-- expect: MultipleStatements
-- message: SELECT、DROP
select 1; drop table region
