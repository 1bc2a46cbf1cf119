-- expect: MemoryLimitExceeded
-- message: 内存
select len(string_agg(repeat('x', 1000000), '')) from range(3000)
