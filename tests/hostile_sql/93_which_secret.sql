-- expect: ServerInfoRefused
-- message: 自助查询不提供服务器配置信息
from which_secret('s3://bucket/x', 's3')
