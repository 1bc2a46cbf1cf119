-- expect: FileAccessRefused
-- message: http://example.com/x.json
select * from read_json('http://example.com/x.json')
