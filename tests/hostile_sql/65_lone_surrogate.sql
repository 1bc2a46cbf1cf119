-- expect: UnreadableText
-- message: 代理字符
-- escapes: true
select '\ud800'
