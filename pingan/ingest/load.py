"""Loading a validated Report into a copy of the current snapshot, switched to atomically; rolling back."""
from __future__ import annotations

import time
from datetime import datetime

import polars as pl

from .. import audit, build, loads, rollups, warehouse
from ..build import IMPORT_TABLES_DDL  # the tables an import writes, added to older snapshots on load
from .catalog import reference, region_label
from .problems import ROW_KEYS
from .validate import DATE_COLUMNS, Report, outside_scope

DISPUTE_RECORD_INDICATORS = ("dispute_identified", "dispute_accepted", "dispute_mediated", "dispute_resolved",
                             "dispute_followed_up", "dispute_success_rate", "dispute_median_days")


class Refused(RuntimeError):
    """A load that must not happen; the message is for the user."""



# --------------------------------------------------------------------------------------------------
# Load: into a copy of the current snapshot, switched to atomically
# --------------------------------------------------------------------------------------------------
def _per_file_rows(report: Report, obs: pl.DataFrame, cases: pl.DataFrame) -> dict[str, int]:
    out: dict[str, int] = {}
    if obs.height:
        for f, n in obs.select(ROW_KEYS).unique().group_by("_file").len().iter_rows():
            out[f] = out.get(f, 0) + n
    if cases.height:
        for f, n in cases.group_by("_file").len().iter_rows():
            out[f] = out.get(f, 0) + n
    return out


def load(report: Report, valid_only: bool = False, who: str | None = None, via: str = "cli",
         progress=None, region: str = "") -> dict:
    """Write the report's rows into a new snapshot and make it current; returns the history entry.

    `region` is the loading account's scope: checked again here, whatever scope the report was validated for."""
    if report.errors and not valid_only:
        raise Refused(f"校验发现 {report.errors} 处错误,未导入任何数据。")
    obs, cases = report.valid_observations(), report.valid_cases()
    if region:
        ref = reference(report.snapshot)
        outside = sorted(set(outside_scope(ref, obs, "region_code", region).get_column("region_code").to_list()
                             if obs.height else []) |
                         set(outside_scope(ref, cases, "county_code", region).get_column("county_code").to_list()
                             if cases.height else []))
        if outside:
            raise Refused(f"有 {len(outside)} 个地区不在您的账户范围({region_label(ref, region)}及其下级地区)内"
                          f"(如 {region_label(ref, outside[0])}),未导入任何数据;请重新校验。")
    if obs.height == 0 and cases.height == 0:
        raise Refused("没有可导入的有效行。")
    if warehouse.current_name() != report.snapshot:
        raise Refused("校验之后数据仓库已经更新(另一次导入或回滚),请重新校验后再导入。")
    t0 = time.perf_counter()
    load_id = loads.new_id()
    source = f"import:{load_id}"
    per_file = _per_file_rows(report, obs, cases)
    rejected = report.rejected_rows()
    rejected_per_file = dict(rejected.group_by("文件").len().iter_rows()) if rejected.height else {}
    entry = {"action": "load", "load_id": load_id, "at": datetime.now().isoformat(timespec="seconds"),
             "who": who or loads.who(), "via": via, "mode": "valid_only" if report.errors else "all",
             "previous_snapshot": report.snapshot,
             "files": [{"name": f["name"], "sha256": f["sha256"], "bytes": f["bytes"], "kind": f["kind"],
                        "rows_loaded": per_file.get(f["name"], 0), "rows_rejected": rejected_per_file.get(f["name"], 0),
                        "demo_rows_replaced": 0} for f in report.files],
             "rows_loaded": sum(per_file.values()), "rows_rejected": rejected.height}
    if progress:
        progress(0.05, "复制当前快照")
    try:
        with warehouse.writable_copy() as (con, path):
            if warehouse.current_name() != report.snapshot:
                raise Refused("校验之后数据仓库已经更新(另一次导入或回滚),请重新校验后再导入。")
            con.execute(IMPORT_TABLES_DDL)
            if obs.height:
                if progress:
                    progress(0.2, "写入汇总数据")
                _load_observations(con, obs, source)
            replaced = 0
            if cases.height:
                replaced = _load_cases(con, cases, source, progress)
                by_file = dict(cases.group_by("_file").len().iter_rows())
                if len(by_file) == 1:
                    for f in entry["files"]:
                        if f["name"] in by_file:
                            f["demo_rows_replaced"] = replaced
            entry["demo_rows_replaced"] = replaced
            entry["snapshot"] = path.name
            if progress:
                progress(0.8, "重算汇总表")
            rollups.refresh(con)
            if progress:
                progress(0.9, "保存快照")
            loads.write_summary(con, entry, path.name)
            con.execute("insert or replace into build_info values ('last_import', ?)", [load_id])
    except Refused:
        raise
    except Exception as exc:
        entry.update(status="failed", message=f"{exc.__class__.__name__}: {exc}"[:500],
                     seconds=round(time.perf_counter() - t0, 2), snapshot=None)
        loads.record(entry)
        audit.record(entry["who"], "import_refused", _audit_detail(entry))
        raise
    entry.update(status="loaded", seconds=round(time.perf_counter() - t0, 2))
    loads.record(entry)
    audit.record(entry["who"], "import", _audit_detail(entry))
    if progress:
        progress(1.0, "导入完成")
    return entry


def _load_observations(con, obs: pl.DataFrame, source: str) -> None:
    frame = obs.select("region_code", "province_code", "period_start", "period_end", "indicator", "value",
                       *(["sample_size"] if "sample_size" in obs.columns else []), "level", "prefecture_code")
    con.register("_obs", frame.to_arrow())
    con.execute("insert into observation (region_code, province_code, period_start, period_end, indicator, value, "
                "source) select region_code, province_code, period_start, period_end, indicator, value, ? "
                "from _obs order by province_code, region_code, period_start, indicator", [source])
    if "sample_size" in frame.columns:
        con.execute("insert into observation_sample select region_code, period_start, period_end, indicator, "
                    "cast(sample_size as integer), ? from _obs where indicator like 'sat\\_%' escape '\\' "
                    "and sample_size is not null", [source])
    con.execute("insert into import_coverage select region_code, level, province_code, "
                "case when level = 'province' then null else prefecture_code end, "
                "case when level = 'county' then region_code end, period_start, period_end, indicator, "
                "'observation', ? from _obs", [source])
    con.unregister("_obs")


def _load_cases(con, cases: pl.DataFrame, source: str, progress=None) -> int:
    """Delete the demo cases of the same counties and months, then append the imported ones; returns rows deleted.

    New case ids continue above the current maximum, in the order the facts are sorted (province, prefecture,
    county, date), so the appended rows keep the zone maps useful.
    """
    start = con.execute("select coalesce(max(case_id), 0) from dispute_case").fetchall()[0][0]
    # County codes are hierarchical (province and prefecture are their prefixes), so one integer key sorts the
    # rows as the table is sorted; a stable sort keeps the file's order within a county and day.
    key = pl.col("county_code").cast(pl.Int64) * 1_000_000 + pl.col("identified_date").cast(pl.Int32)
    frame = (cases.select(ROW_KEYS + ["case_no", "province_code", "prefecture_code", "county_code", "grid_id",
                                      "category", "channel", *DATE_COLUMNS, "outcome"])
             .sort(key, maintain_order=True)
             .with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + start + 1).alias("case_id")))
    con.register("_cases", frame.to_arrow())
    con.execute("create temp table _months as select distinct county_code, "
                "cast(date_trunc('month', identified_date) as date) as month_start, "
                "cast(last_day(identified_date) as date) as month_end from _cases")
    if progress:
        progress(0.2, "删除同县同月的演示案件")
    replaced = con.execute("delete from dispute_case as d using _months as m where d.source = 'demo' "
                           "and d.county_code = m.county_code "
                           "and d.identified_date between m.month_start and m.month_end").fetchall()[0][0]
    if progress:
        progress(0.45, f"写入 {cases.height:,} 件案件")
    con.execute("insert into dispute_case (case_id, province_code, prefecture_code, county_code, grid_id, category, "
                "channel, identified_date, accepted_date, mediated_date, closed_date, outcome, followup_date, source) "
                "select case_id, province_code, prefecture_code, county_code, grid_id, category, channel, "
                "identified_date, accepted_date, mediated_date, closed_date, outcome, followup_date, ? from _cases",
                [source])
    con.execute("insert into dispute_case_number select case_id, county_code, case_no, ? from _cases", [source])
    con.execute("insert into import_coverage select m.county_code, 'county', r.province_code, r.prefecture_code, "
                "m.county_code, m.month_start, m.month_end, i.indicator, 'dispute_case', ? "
                "from _months as m join region as r on r.code = m.county_code "
                "cross join (select unnest(?::varchar[]) as indicator) as i",
                [source, list(DISPUTE_RECORD_INDICATORS)])
    con.unregister("_cases")
    con.execute("drop table _months")
    return int(replaced)


ROLLBACK_SCOPED = ("回滚会把所有地区的数据换成所选快照的数据,只有不限地区(范围“全部”)的管理员可以回滚;"
                   "您的账户范围是 {region}。如需撤销本地区的某次导入,请联系不限地区的管理员。")


def rollback(name: str, who: str | None = None, via: str = "page", region: str = "") -> dict:
    """Make an earlier snapshot current again and record it in the load history.

    A snapshot holds every region, so a rollback is refused to an account scoped to one (`region` not '')."""
    if region:
        audit.record(who or loads.who(), "rollback_refused", {"snapshot": name, "region": region, "via": via})
        raise Refused(ROLLBACK_SCOPED.format(region=region))
    previous = warehouse.current_name()
    warehouse.rollback(name)
    # A snapshot written before the current derived tables (pingan/rollups.py) gets them at once, in a new
    # snapshot holding the same facts: the pages read them, and a running server would not upgrade it itself.
    upgraded = build.ensure()
    current = warehouse.current_name()
    entry = {"action": "rollback", "status": "loaded", "load_id": "",
             "at": datetime.now().isoformat(timespec="seconds"),
             "who": who or loads.who(), "via": via, "snapshot": current, "previous_snapshot": previous, "files": [],
             "message": f"回滚到 {name}" + (f"(补建汇总表后为 {current})" if current != name else "")}
    if upgraded:
        entry["upgraded"] = upgraded
    loads.record(entry)
    audit.record(entry["who"], "rollback", {"snapshot": name, "previous_snapshot": previous, "via": via})
    return entry


def _audit_detail(entry: dict) -> dict:
    return {k: entry.get(k) for k in ("load_id", "status", "via", "mode", "rows_loaded", "rows_rejected",
                                      "demo_rows_replaced", "snapshot", "previous_snapshot", "message")} | {
        "files": [{k: f.get(k) for k in ("name", "sha256", "bytes")} for f in entry.get("files") or []]}


