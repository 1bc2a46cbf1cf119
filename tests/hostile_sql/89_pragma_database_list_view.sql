-- expect: ServerInfoRefused
-- message: 自助查询不提供服务器配置信息
from pragma_database_list
