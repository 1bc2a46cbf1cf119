-- expect: UnreadableText
-- message: 控制字符 U+0000
-- escapes: true
select 1\x00; drop table region
