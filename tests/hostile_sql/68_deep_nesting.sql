-- expect: SyntaxRefused
-- message: expression depth
-- repeat_wrap: 5000
1
