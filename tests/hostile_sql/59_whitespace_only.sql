-- expect: EmptyStatement
-- message: 输入为空
-- escapes: true
   \n\t  \r\n  
