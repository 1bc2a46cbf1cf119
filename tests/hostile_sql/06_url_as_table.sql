-- expect: FileAccessRefused
-- message: https://example.com/data.csv
select * from 'https://example.com/data.csv'
