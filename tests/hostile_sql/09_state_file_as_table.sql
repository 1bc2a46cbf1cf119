-- expect: FileAccessRefused
-- message: 当作表读取
from 'data/state/warehouse/CURRENT'
