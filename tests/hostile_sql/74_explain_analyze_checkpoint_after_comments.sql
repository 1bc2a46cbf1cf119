-- expect: StatementNotAllowed
-- message: 已拒绝 EXPLAIN CHECKPOINT 语句
explain /* plan */ analyze -- why not
checkpoint
