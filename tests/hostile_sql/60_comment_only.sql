-- expect: EmptyStatement
-- message: 只有注释或空白
-- select * from region
/* nothing here */
