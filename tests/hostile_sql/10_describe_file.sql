-- expect: FileAccessRefused
-- message: 当作表读取
describe '/etc/passwd'
