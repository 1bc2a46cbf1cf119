-- expect: FileAccessRefused
-- message: /etc/*
select * from glob('/etc/*')
