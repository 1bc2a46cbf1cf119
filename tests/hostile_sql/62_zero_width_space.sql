-- expect: UnreadableText
-- message: 零宽字符
-- escapes: true
select\u200b* from region
