"""数据管理: import templates, upload with a validation report, load history, snapshots and rollback."""

import streamlit as st

from pingan import auth, config, frame, importer, loads, queries, safe, templates, ui, warehouse
from pingan.i18n import Texts
from pingan.ingest import worker as import_worker
from pingan.views import data as view

scope = frame.scope_filter()
lang = scope.lang

TEXT = Texts({
    "title": ("数据管理:导入县级报表、校验、快照与回滚", "Data: import county reports, validate, snapshots and rollback"),
    "intro": ("各县(市、区)和部门报送的月报、年报(Excel 或 CSV,UTF-8 或 GBK 均可)按模板上传:先出校验报告,"
              "全部无误才导入;每次导入生成一个新的数据快照并立即切换,浏览者不会看到导入了一半的数据;"
              "导入有误可回滚到之前的快照。",
              "Upload the monthly and annual reports counties send (Excel or CSV, UTF-8 or GBK) in the templates' "
              "layout: a validation report comes first and nothing loads until every row is valid; each load "
              "builds a new snapshot and switches to it at once, and a bad load can be rolled back."),
    "tab_upload": ("导入数据", "Upload"), "tab_templates": ("模板下载", "Templates"),
    "tab_history": ("导入记录", "Load history"), "tab_snapshots": ("快照与回滚", "Snapshots"),
    "tab_sources": ("数据构成", "Data composition"),
    "m_snapshot": ("当前快照生成时间", "Current snapshot built"), "m_kept": ("保留的快照", "Snapshots kept"),
    "m_loads": ("成功导入(次)", "Loads (count)"), "m_real": ("本范围本期导入的数据行", "Imported rows in scope"),
    "uploader": ("上传报表(.xlsx、.xls、.csv;可多选;单个文件不超过 {mb} MB)",
                 "Upload reports (.xlsx, .xls, .csv; several at once; at most {mb} MB each)"),
    "uploader_help": ("地区可填代码或名称(可用简称,如 大理州);期间写作 2022-07、2022年7月、2022/7、2022Q3 或 2022;"
                      "数字可带千分位或写作 1.2万。先下载“模板下载”中的模板。",
                      "Regions by code or name (short names allowed); periods as 2022-07, 2022Q3 or 2022; numbers may "
                      "carry thousands separators or 万. Start from a template."),
    "validating": ("正在校验…", "Validating…"), "loading": ("正在导入…", "Loading…"),
    "files": ("文件", "File"), "format": ("格式", "Format"), "sheets": ("工作表(行数)", "Sheets (rows)"),
    "rows": ("数据行", "Rows"),
    "ok": ("校验通过:{n} 行全部无误,可以导入。", "Valid: all {n} rows can be loaded."),
    "bad": ("校验发现 {e} 处错误(另有 {w} 处提示):有错误时不导入任何数据。请按下表更正后重新上传,"
            "或明确选择只导入无误的 {v} 行。",
            "{e} errors ({w} notes): nothing loads while any row has an error. Fix the rows below and upload again, "
            "or explicitly choose to load only the {v} valid rows."),
    "nothing": ("校验发现 {e} 处错误,没有任何可导入的行,未导入。请按校验报告更正后重新上传。",
                "{e} errors and no row that could be loaded: nothing was loaded. Fix the file and upload again."),
    "report": ("校验报告", "Validation report"), "sev": ("类别", "Severity"), "sheet": ("工作表", "Sheet"),
    "row": ("行号", "Row"), "column": ("列", "Column"), "value": ("值", "Value"), "reason": ("原因", "Reason"),
    "valid_only": ("只导入无误的 {v} 行,跳过有错误的 {r} 行(被跳过的行可下载)",
                   "Load only the {v} valid rows and skip the {r} rejected rows (downloadable)"),
    "rejected": ("未导入的行", "Rejected rows"),
    "load": ("导入 {n} 行", "Load {n} rows"),
    "loaded": ("已导入 {n} 行(导入编号 {id});{replaced}新快照 {snap} 已生效,用时 {s:.1f} 秒。",
               "Loaded {n} rows (load {id}); {replaced}snapshot {snap} is now current ({s:.1f} s)."),
    "replaced": ("替换了同县同月的演示案件 {n} 件;", "replaced {n} demo cases of the same counties and months; "),
    "no_permission": ("当前账户没有导入权限(需要管理员角色)。", "Your account may not import (admin role needed)."),
    "tpl_intro": ("每个模板一个“数据”表(中文列名,橙色为必填)和一个“说明”表(每列的代码、单位、定义、示例)。"
                  "CSV 模板为 UTF-8 带 BOM,Excel 可直接打开。汇总报表每个地区、每个期间一行;案件明细每件一行。",
                  "Each template has a 数据 sheet (Chinese headers, required ones in orange) and a 说明 sheet "
                  "(code, unit, definition and example of every column). Aggregated reports: one row per region and "
                  "period; case records: one row per case."),
    "tpl": ("模板", "Template"), "grain": ("粒度", "Grain"), "columns": ("列", "Columns"), "target": ("写入", "Loads into"),
    "hist_empty": ("还没有导入记录。", "Nothing has been loaded yet."),
    "at": ("时间", "Time"), "action": ("操作", "Action"), "status": ("结果", "Result"), "who": ("操作人", "Who"),
    "via": ("方式", "Via"), "load_id": ("导入编号", "Load id"), "bytes": ("大小(KB)", "Size (KB)"),
    "sha": ("SHA-256(前12位)", "SHA-256 (first 12)"), "rows_loaded": ("导入行数", "Rows loaded"),
    "rows_rejected": ("未导入行数", "Rows rejected"), "demo_replaced": ("替换演示案件(件)", "Demo cases replaced"),
    "snapshot": ("快照", "Snapshot"), "seconds": ("用时(秒)", "Seconds"), "message": ("说明", "Note"),
    "snap_intro": ("每次导入或回滚都会切换当前快照;系统保留最近 {k} 个快照(设置 PINGAN_SNAPSHOTS_KEPT)。"
                   "回滚只是把较早的快照设为当前,导入记录仍然保留。回滚属于管理员操作。",
                   "Each load or rollback switches the current snapshot; the newest {k} are kept "
                   "(PINGAN_SNAPSHOTS_KEPT). A rollback makes an older snapshot current; the load history stays. "
                   "Rollback is an admin action."),
    "modified": ("生成时间", "Built"), "size": ("大小(MB)", "Size (MB)"), "current": ("当前", "Current"),
    "origin": ("内容来源", "Made by"),
    "rollback_to": ("回滚到", "Roll back to"), "confirm": ("我确认回滚:此后浏览者看到的是所选快照的数据",
                                                         "I confirm: viewers will see the chosen snapshot's data"),
    "rollback": ("回滚", "Roll back"), "rolled": ("已回滚到 {snap}。", "Rolled back to {snap}."),
    "only_one": ("只有一个快照,无可回滚。", "Only one snapshot: nothing to roll back to."),
    "scoped_import": ("您的账户范围是 {region} 及其下级地区:只能导入这些地区的数据,其他地区的行在校验报告中列为错误。",
                      "Your account's scope is {region} and its sub-regions: rows of other regions are errors."),
    "src_intro": ("{place} · {period}:各事实表中演示数据与导入数据的行数。导入的案件明细替换同县同月的演示案件;"
                  "导入的汇总报表在包含它的统计范围里代替它所覆盖的县和月份(如大理州2022年的报表就是大理州2022年的数字,"
                  "但不能拆成大理市,也不能拆成上半年,那些仍按原有记录统计);全部为导入数据的页面不再显示“演示数据”标记。",
                  "{place} · {period}: rows of each fact table that are demo data and that were imported. Imported "
                  "cases replace the demo cases of the same county and month; an imported report stands for the "
                  "counties and months it covers in every total that contains it (大理州's 2022 report is 大理州's "
                  "2022, but cannot be split into 大理市 or into the first half, which keep their records). Pages "
                  "showing only imported data lose the demo badge."),
    "fact_table": ("数据表", "Fact table"), "rows_total": ("行数", "Rows"), "rows_demo": ("演示数据(行)", "Demo rows"),
    "rows_imported": ("导入数据(行)", "Imported rows"), "real_share": ("导入占比", "Imported share"),
    "tpl_heading": ("**{title}** · {grain}", "**{code}** · {title}"), "tpl_columns": ("列:{cols}", "Columns: {cols}"),
    "tpl_guide": ("说明(每列的代码、单位、定义、示例)", "Column guide"),
})
tr = ui.texts(TEXT)

rights = view.rights(auth.current_account())
who, account_region = rights.who, rights.region  # importer.validate/load/rollback enforce the region; the page says so

composition = queries.run("data_sources_by_table", region=scope.region, start=scope.period.start,
                          end=scope.period.end)
frame.header(tr("title"), scope, has_demo=bool(composition["rows_demo"].sum()))
st.caption(tr("intro"))

history = loads.history()
snapshots = warehouse.list_snapshots()
current = next((s for s in snapshots if s["current"]), None)
c = st.columns(4)
c[0].metric(tr("m_snapshot"), view.built_at_text(current, lang), help=warehouse.current_name())
c[1].metric(tr("m_kept"), f"{len(snapshots)}", help=tr("snap_intro", k=config.setting("snapshots_kept")))
c[2].metric(tr("m_loads"), f"{view.loads_done(history)}")
c[3].metric(tr("m_real"), f"{int(composition['rows_imported'].sum()):,}",
            help=f"{scope.name} · {frame.period_label(scope.period, lang)}")

tab_upload, tab_templates, tab_history, tab_snapshots, tab_sources = st.tabs(
    [tr("tab_upload"), tr("tab_templates"), tr("tab_history"), tr("tab_snapshots"), tr("tab_sources")])


def report_tables(report: importer.Report) -> None:
    files = view.report_files(report, lang)
    st.dataframe(files, hide_index=True, width="stretch", column_config={
        "file": st.column_config.TextColumn(tr("files")), "format": st.column_config.TextColumn(tr("format")),
        "sheets": st.column_config.TextColumn(tr("sheets"), width="large"),
        "rows": st.column_config.NumberColumn(tr("rows"), format="%d"),
        "kb": st.column_config.NumberColumn(tr("bytes"), format="%.1f")})
    for where, reason in view.whole_file_errors(report):
        st.error(f"{safe.md(where)}:{safe.md(reason)}")  # file and sheet names, echoed cells: text only
    if report.errors and report.rows_valid:
        st.error(tr("bad", e=f"{report.errors:,}", w=f"{report.warnings:,}", v=f"{report.rows_valid:,}"))
    elif report.errors:
        st.error(tr("nothing", e=f"{report.errors:,}"))
    elif report.rows_valid:
        st.success(tr("ok", n=f"{report.rows_valid:,}"))
    if report.problems.height:
        probs = view.report_problems(report, lang)
        st.markdown(f"**{tr('report')}**")
        st.dataframe(probs.head(5000), hide_index=True, width="stretch", height=min(560, 38 + 35 * probs.height),
                     column_config={
                         "severity": st.column_config.TextColumn(tr("sev")),
                         "file": st.column_config.TextColumn(tr("files")),
                         "sheet": st.column_config.TextColumn(tr("sheet")),
                         "row": st.column_config.NumberColumn(tr("row"), format="%d"),
                         "column": st.column_config.TextColumn(tr("column")),
                         "value": st.column_config.TextColumn(tr("value")),
                         "reason": st.column_config.TextColumn(tr("reason"), width="large")})
        frame.downloads(probs.rename(view.REPORT_HEADERS), "校验报告", lang, key="import_report")


def load_button(report: importer.Report, upload_key: str) -> None:
    valid_only = False
    if report.errors:
        if not report.rows_valid:
            return
        rejected = report.rejected_rows()
        st.markdown(f"**{tr('rejected')}**({rejected.height:,})")
        frame.downloads(rejected, "未导入的行", lang, key="import_rejected")
        valid_only = st.checkbox(tr("valid_only", v=f"{report.rows_valid:,}", r=f"{rejected.height:,}"),
                                 key="import_valid_only")
        if not valid_only:
            return
    if not st.button(tr("load", n=f"{report.rows_valid:,}"), type="primary", key="import_load"):
        return
    bar = st.progress(0.0, text=tr("loading"))
    try:
        entry = importer.load(report, valid_only=valid_only, who=who, via="page", region=account_region,
                              progress=lambda f, text: bar.progress(min(f, 1.0), text=text))
    except importer.Refused as exc:
        bar.empty()
        st.error(safe.md(str(exc)))
        return
    bar.empty()
    st.session_state["import_done"] = entry
    st.session_state.pop("import_report", None)
    st.session_state["import_round"] = st.session_state.get("import_round", 0) + 1  # a fresh, empty uploader
    st.rerun()


with tab_upload:
    done = st.session_state.pop("import_done", None)
    if done:
        replaced = tr("replaced", n=f"{done['demo_rows_replaced']:,}") if done["demo_rows_replaced"] else ""
        st.success(tr("loaded", n=f"{done['rows_loaded']:,}", id=done["load_id"], replaced=replaced,
                      snap=done["snapshot"], s=done["seconds"]))
    if not rights.can_import:
        st.info(tr("no_permission"))
    else:
        if account_region:
            st.info(tr("scoped_import", region=account_region))
        upload_key = f"import_upload_{st.session_state.get('import_round', 0)}"
        uploaded = st.file_uploader(tr("uploader", mb=importer.MAX_MB),
                                    type=["xlsx", "xlsm", "xls", "csv", "txt", "tsv"], accept_multiple_files=True,
                                    key=upload_key, help=tr("uploader_help"), max_upload_size=importer.MAX_MB)
        if uploaded:
            signature = (warehouse.current_name(), account_region) + tuple((f.name, f.size, f.file_id)
                                                                          for f in uploaded)
            if st.session_state.get("import_signature") != signature:
                bar = st.progress(0.0, text=tr("validating"))
                try:  # in a child process with memory and time limits, killed if this session goes away
                    report = import_worker.validate(
                        [importer.Upload(f.name, f.size, f.getvalue) for f in uploaded],
                        progress=lambda f, text: bar.progress(min(f, 1.0), text=text),
                        region=account_region, alive=ui.session_alive)
                except import_worker.Stopped as exc:
                    report = str(exc)
                bar.empty()
                st.session_state["import_report"] = report
                st.session_state["import_signature"] = signature
            report = st.session_state["import_report"]
            if isinstance(report, str):
                st.error(safe.md(report))
            else:
                report_tables(report)
                load_button(report, upload_key)

with tab_templates:
    st.caption(tr("tpl_intro"))
    catalog = queries.run("meta_indicators")
    for t in templates.build(catalog):
        with st.container(border=True):
            a, b, cx = st.columns([5, 1, 1])
            a.markdown(tr("tpl_heading", title=t.title, grain=t.grain, code=t.key))
            a.caption(tr("tpl_columns", cols="、".join(c.header for c in t.columns)))
            xlsx = templates.TEMPLATE_DIR / f"{t.file_stem}.xlsx"
            csv = templates.TEMPLATE_DIR / f"{t.file_stem}.csv"
            b.download_button("Excel", data=xlsx.read_bytes() if xlsx.exists() else templates.xlsx_bytes(t),
                              file_name=f"{t.title}模板.xlsx", on_click="ignore", key=f"tpl_x_{t.key}",
                              mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            cx.download_button("CSV", data=csv.read_bytes() if csv.exists() else templates.csv_bytes(t),
                               file_name=f"{t.title}模板.csv", mime="text/csv", on_click="ignore",
                               key=f"tpl_c_{t.key}")
            with st.expander(tr("tpl_guide")):
                st.dataframe(templates.guide(t), hide_index=True, width="stretch",
                             column_config={"说明": st.column_config.TextColumn(width="large")})

with tab_history:
    if history.height == 0:
        st.info(tr("hist_empty"))
    else:
        shown = view.history_view(history, lang)
        st.dataframe(shown, hide_index=True, width="stretch", column_config={
            "at": st.column_config.DatetimeColumn(tr("at"), format="YYYY-MM-DD HH:mm:ss"),
            "action": st.column_config.TextColumn(tr("action")), "load_id": st.column_config.TextColumn(tr("load_id")),
            "who": st.column_config.TextColumn(tr("who")), "via": st.column_config.TextColumn(tr("via")),
            "files": st.column_config.TextColumn(tr("files")),
            "bytes": st.column_config.NumberColumn(tr("bytes"), format="%.1f"),
            "sha256": st.column_config.TextColumn(tr("sha")),
            "rows_loaded": st.column_config.NumberColumn(tr("rows_loaded"), format="%d"),
            "rows_rejected": st.column_config.NumberColumn(tr("rows_rejected"), format="%d"),
            "demo_rows_replaced": st.column_config.NumberColumn(tr("demo_replaced"), format="%d"),
            "snapshot": st.column_config.TextColumn(tr("snapshot")),
            "seconds": st.column_config.NumberColumn(tr("seconds"), format="%.1f"),
            "message": st.column_config.TextColumn(tr("message"))})
        frame.downloads(shown, "导入记录", lang, key="load_history")

with tab_snapshots:
    st.caption(tr("snap_intro", k=config.setting("snapshots_kept")))
    origins = loads.snapshot_origins()

    snaps = view.snapshots_frame(snapshots, origins, lang)
    st.dataframe(snaps, hide_index=True, width="stretch", column_config={
        "name": st.column_config.TextColumn(tr("snapshot")),
        "modified": st.column_config.DatetimeColumn(tr("modified"), format="YYYY-MM-DD HH:mm:ss"),
        "mb": st.column_config.NumberColumn(tr("size"), format="%.1f"),
        "current": st.column_config.CheckboxColumn(tr("current")),
        "origin": st.column_config.TextColumn(tr("origin"), width="large")})
    others = [s["name"] for s in snapshots if not s["current"]]
    rolled = st.session_state.pop("rollback_done", None)
    if rolled:
        st.success(tr("rolled", snap=rolled))
    if not others:
        st.info(tr("only_one"))
    elif rights.may_snapshots and not rights.can_rollback:
        st.info(importer.ROLLBACK_SCOPED.format(region=account_region))
    elif rights.can_rollback:
        target = st.selectbox(tr("rollback_to"), others, key="rollback_target",
                              format_func=lambda n: f"{n}({view.snapshot_origin(origins.get(n), lang)})")
        sure = st.checkbox(tr("confirm"), key="rollback_confirm")
        if st.button(tr("rollback"), disabled=not sure, key="rollback_go"):
            importer.rollback(target, who=who, via="page", region=account_region)
            st.session_state["rollback_done"] = target
            st.session_state.pop("rollback_confirm", None)
            st.rerun()

with tab_sources:
    st.caption(tr("src_intro", place=safe.md(scope.name), period=frame.period_label(scope.period, lang)))
    shown = view.composition_view(composition, lang)
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        "fact_table": st.column_config.TextColumn(tr("fact_table")),
        "rows_total": st.column_config.NumberColumn(tr("rows_total"), format="localized"),
        "rows_demo": st.column_config.NumberColumn(tr("rows_demo"), format="localized"),
        "rows_imported": st.column_config.NumberColumn(tr("rows_imported"), format="localized"),
        "real_share": st.column_config.NumberColumn(tr("real_share"), format="percent")})
    frame.downloads(shown, "数据构成", lang, key="composition")
