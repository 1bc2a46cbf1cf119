-- expect: MemoryLimitExceeded
-- message: 内存超过
select len(list(repeat('x', 1000000))) from range(3000)
