-- expect: FileAccessRefused
-- message: /etc/passwd
select * from read_csv('/etc/passwd')
