-- expect: UnreadableText
-- message: 文字方向控制符
-- escapes: true
select * from region where code = '\u202e000035'
