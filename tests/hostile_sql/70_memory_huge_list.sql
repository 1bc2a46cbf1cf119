-- expect: MemoryLimitExceeded
-- message: 内存
select len(range(0, 300000000))
