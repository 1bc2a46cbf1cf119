-- expect: FileAccessRefused
-- message: /etc/passwd
select * from read_text('/etc/passwd')
