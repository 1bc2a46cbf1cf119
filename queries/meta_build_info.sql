-- What the current snapshot was built from (scale, seed, as-of date, build time)
-- scope: none
-- grain: one row per key
select key, value from build_info order by key
