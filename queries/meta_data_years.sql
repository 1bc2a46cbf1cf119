-- First and last year with dispute cases in this snapshot
-- scope: none
-- grain: one row
select year(min(identified_date)) as first_year, year(max(identified_date)) as last_year
from dispute_case
