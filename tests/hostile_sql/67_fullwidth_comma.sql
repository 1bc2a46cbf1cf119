-- expect: QueryFailed
-- message: 全角
select code，name from region
