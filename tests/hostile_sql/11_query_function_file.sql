-- expect: FileAccessRefused
-- message: /etc/passwd
select * from query('select * from read_csv(''/etc/passwd'')')
