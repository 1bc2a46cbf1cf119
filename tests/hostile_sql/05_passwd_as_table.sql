-- expect: FileAccessRefused
-- message: 当作表读取
select * from '/etc/passwd'
