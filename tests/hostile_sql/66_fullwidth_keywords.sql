-- expect: SyntaxRefused
-- message: 全角
ｓｅｌｅｃｔ * ｆｒｏｍ region
