-- The indicator catalog: names, units, direction, targets and definitions
-- scope: none
-- grain: one row per indicator
select code, domain, name_zh, name_en, unit, direction, target, definition_zh
from indicator
order by domain, code
