-- expect: StatementTooLong
-- message: 超过 100,000 个字符的上限
-- repeat: 10001
select 1 +
