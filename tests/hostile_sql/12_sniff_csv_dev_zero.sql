-- expect: FileAccessRefused
-- message: /dev/zero
select * from sniff_csv('/dev/zero')
