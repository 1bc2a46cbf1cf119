"""自助查询: an analyst's own SQL through the sandbox, with schema, examples, indicators, history and export.

The editor (streamlit-ace, assets in its package, so it works offline) hands its text to Python on Ctrl+Enter or
its Apply button; that runs the statement. The Run button runs the last submitted text again (after changing
parameters, say).
Results are kept per session with the statement and parameters they came from, so unrelated reruns show them
without running anything. The account's region scope (session key `account_region`, set by the auth layer)
decides which rows the sandbox can see; the sidebar scope only fills in parameter defaults.
"""
from datetime import date, datetime

import plotly.express as px
import polars as pl
import streamlit as st
# st_ace's own renderer: st_ace() has no way to set the line height, and at the browser's "normal" line height
# Linux monospace fonts (DejaVu Sans Mono) lose their underscores (short_name shows as "short name").
from streamlit_ace import _render_component as ace_editor

from pingan import auth, charts, frame, history, i18n, queries, safe, sandbox, stamped, ui
from pingan.i18n import Texts
from pingan.views import sql as view

TEXT = Texts({
    "title": ("自助查询", "Ad hoc SQL"),
    "limits": ("只读 · 每次一条 SELECT 语句 · 时间上限 {t:g} 秒 · 页面显示至多 {d:,} 行 · 导出至多 {e:,} 行 · "
               "内存上限 {m}。侧栏的地区和期间只用作参数的默认值。",
               "Read-only · one SELECT per run · {t:g} s time limit · up to {d:,} rows shown · up to {e:,} rows "
               "exported · {m} memory. The sidebar scope only fills in parameter defaults."),
    "scope_all": ("数据范围:全部数据。", "Data scope: everything."),
    "scope_one": ("数据范围:{name}({code})。本账号的查询只能看到该地区及其下级的数据,所有表都已按此范围筛选。",
                  "Data scope: {name} ({code}). This account's queries see only that region and below, in every "
                  "table."),
    "editor": ("SQL 语句", "SQL statement"),
    "editor_help": ("按 Ctrl+Enter(或编辑器下方的 Apply)提交并运行;改了参数后点“运行”。点右侧的表名、列名会追加到"
                    "语句末尾(请先提交正在编辑的内容)。",
                    "Ctrl+Enter (or Apply below the editor) submits and runs; after changing parameters press Run. "
                    "Names clicked on the right are appended to the statement (submit your edits first)."),
    "params": ("参数", "Parameters"),
    "run": ("运行", "Run"),
    "time_limit": ("时间上限(秒)", "Time limit (s)"),
    "running": ("正在运行…", "Running…"),
    "tab_schema": ("表结构", "Schema"), "tab_examples": ("示例查询", "Examples"),
    "tab_indicators": ("指标目录", "Indicators"), "tab_history": ("查询历史", "History"),
    "table": ("表", "Table"), "rows": ("行数", "Rows"), "desc": ("说明", "Description"),
    "column": ("列名", "Column"), "type": ("类型", "Type"),
    "pick_table": ("点选一张表查看它的列", "Click a table to see its columns"),
    "insert_table": ("插入表名 {t}", "Insert table name {t}"),
    "insert_column": ("点击插入列名", "Click to insert a column name"),
    "domain": ("领域", "Domain"), "example": ("查询", "Query"), "all": ("全部", "All"),
    "grain": ("粒度:{g}", "Grain: {g}"), "uses": ("参数:{p}", "Parameters: {p}"), "no_params": ("无参数", "none"),
    "load": ("载入编辑器", "Load into editor"),
    "search": ("搜索指标名称、代码或口径", "Search name, code or definition"),
    "ind_code": ("代码", "Code"), "ind_name": ("名称(单位)", "Name (unit)"), "ind_target": ("目标", "Target"),
    "insert_code": ("插入代码 '{c}'", "Insert code '{c}'"),
    "pick_indicator": ("点选一个指标查看口径,并可插入它的代码", "Click an indicator for its definition and to insert its code"),
    "higher": ("越高越好", "higher is better"), "lower": ("越低越好", "lower is better"),
    "no_history": ("还没有查询记录。", "No queries yet."),
    "h_time": ("时间", "Time"), "h_outcome": ("结果", "Outcome"), "h_rows": ("行数", "Rows"),
    "h_ms": ("用时(毫秒)", "Time (ms)"), "h_sql": ("语句", "Statement"),
    "rerun": ("重新运行", "Run again"),
    "pick_history": ("点选一条记录可载入或重新运行", "Click a row to load or run it again"),
    "no_result": ("输入语句后按 Ctrl+Enter 或点“运行”。", "Write a statement, then Ctrl+Enter or Run."),
    "m_rows": ("返回行数", "Rows returned"), "m_total": ("结果总行数", "Total rows"),
    "m_elapsed": ("用时", "Elapsed"), "m_cols": ("列数", "Columns"), "ms": ("{ms:,.0f} 毫秒", "{ms:,.0f} ms"),
    "unknown_total": ("超过 {n:,}", "over {n:,}"),
    "truncated": ("结果超过 {n:,} 行,只显示前 {n:,} 行。完整结果请用下方“准备完整导出”(至多 {e:,} 行)。",
                  "More than {n:,} rows: only the first {n:,} are shown. Use “Prepare full export” below "
                  "(up to {e:,} rows)."),
    "empty": ("查询成功,但没有符合条件的行。", "The query ran but returned no rows."),
    "done": ("完成:返回 {n:,} 行,用时 {ms:,.0f} 毫秒。结果见下方。", "Done: {n:,} rows in {ms:,.0f} ms, shown below."),
    "ran_at": ("{at} 运行 · {sql}", "Ran at {at} · {sql}"),
    "tab_grid": ("表格", "Table"), "tab_chart": ("图表", "Chart"),
    "download": ("下载结果", "Download"),
    "csv": ("CSV(Excel 可直接打开)", "CSV (opens in Excel)"), "xlsx": ("Excel 文件", "Excel"),
    "parquet": ("Parquet", "Parquet"),
    "xlsx_too_big": ("Excel 文件至多 {n:,} 行,更多请下载 CSV 或 Parquet。", "Excel files hold at most {n:,} rows here: "
                     "use CSV or Parquet."),
    "prepare_export": ("准备完整导出(至多 {e:,} 行)", "Prepare full export (up to {e:,} rows)"),
    "export_ready": ("完整导出已就绪:{n:,} 行{more}。", "Full export ready: {n:,} rows{more}."),
    "export_more": (",仍超过上限,只含前 {e:,} 行", "; still over the limit, only the first {e:,}"),
    "chart_kind": ("图形", "Chart"), "bar": ("柱状图", "Bar"), "line": ("折线图", "Line"),
    "scatter": ("散点图", "Scatter"),
    "x": ("横轴", "X axis"), "y": ("纵轴(数值列)", "Y axis (numbers)"), "color": ("分组颜色", "Colour by"),
    "none": ("(不分组)", "(none)"), "chart_title": ("图表标题", "Chart title"),
    "chart_needs": ("作图需要至少一个数值列。", "A chart needs at least one numeric column."),
    "chart_rows": ("图表使用页面上显示的前 {n:,} 行。", "The chart uses the first {n:,} rows shown."),
    "t_bar": ("各{x}的{y}", "{y} by {x}"), "t_line": ("{y}随{x}的变化", "{y} over {x}"),
    "t_scatter": ("{x}与{y}的关系", "{x} against {y}"),
})

scope = frame.scope_filter()
lang = scope.lang
tr = ui.texts(TEXT)

sandbox.warm()  # a worker process ready before the first Run
account_region = st.session_state.get("account_region", "")   # set by the auth layer (app.py)
user = st.session_state.get("account_user") or "local"
ss = st.session_state
ss.setdefault("sql_text", sandbox.STARTER_SQL)
ss.setdefault("sql_ver", 0)

info = dict(queries.run("meta_build_info").iter_rows())
frame.header(tr("title"), scope, has_demo="scale" in info)
st.caption(tr("limits", t=sandbox.TIME_LIMIT_S, d=sandbox.DISPLAY_ROWS, e=sandbox.EXPORT_ROWS, m=sandbox.MEMORY_LIMIT))
if account_region:
    names = dict(zip(frame.regions()["code"].to_list(), frame.regions()["name"].to_list()))
    st.info(tr("scope_one", name=names.get(account_region, account_region), code=account_region))


def set_text(text: str, run: bool = False) -> None:
    """Replace the editor's text (a new editor key makes streamlit-ace show it) and optionally run it."""
    ss["sql_text"] = text
    ss["sql_ver"] += 1
    ss["sql_run_now"] = run


def append_name(name: str, widget_key: str | None = None) -> None:
    set_text(ss["sql_text"].rstrip() + " " + name)
    if widget_key:
        ss[widget_key] = None


def append_pill(key: str) -> None:
    if ss.get(key):
        append_name(ss[key], key)


def load_entry(entry: dict, run: bool) -> None:
    for name, value in entry.get("params", {}).items():
        kind = sandbox.param_kind(name)
        ss[f"sql_p_{name}"] = date.fromisoformat(value) if kind == "date" and isinstance(value, str) else value
    set_text(entry["sql"], run=run)


left, right = st.columns([6, 5], gap="medium")

# ---------------------------------------------------------------- left: editor, parameters, run
with left:
    ver = ss["sql_ver"]
    if ss.get("sql_seen_ver") != ver:
        ss["sql_seen"], ss["sql_seen_ver"] = ss["sql_text"], ver
    st.markdown(f"**{tr('editor')}**")
    edited = ace_editor(
        defaultValue=ss["sql_text"], default=ss["sql_text"], placeholder="select …", height=None, minLines=10,
        maxLines=24, fontSize=14, tabSize=4, mode="sql", theme="chrome", showGutter=True, showPrintMargin=False,
        wrapEnabled=True, readOnly=False, keyboardHandler="vscode", annotations=[], markers=[], autoUpdate=False,
        style={"lineHeight": "1.5"},
        setOptions={"fontFamily": "Consolas, 'DejaVu Sans Mono', 'Liberation Mono', 'Noto Sans Mono CJK SC', "
                                  "monospace"},
        key=f"sql_ace_{ver}")
    submitted = isinstance(edited, str) and edited != ss["sql_seen"]
    if submitted:
        ss["sql_text"] = ss["sql_seen"] = edited
    st.caption(tr("editor_help"))

    names = sandbox.parameters(ss["sql_text"])
    params = {}
    if names:
        st.markdown(f"**{tr('params')}**")
        pcols = st.columns(min(len(names), 4))
        for i, name in enumerate(names):
            key, kind, col = f"sql_p_{name}", sandbox.param_kind(name), pcols[i % len(pcols)]
            default = view.param_default(name, scope)
            if kind == "date":
                if not isinstance(ss.get(key), date):
                    ss[key] = default if isinstance(default, date) else scope.period.end
                params[name] = col.date_input(safe.md(f"${name}"), key=key, min_value=date(2000, 1, 1),
                                              max_value=date(2035, 12, 31))
            elif kind == "int":
                if not isinstance(ss.get(key), int):
                    ss[key] = default if isinstance(default, int) else 0
                params[name] = col.number_input(safe.md(f"${name}"), key=key, step=1)
            elif kind == "float":
                if not isinstance(ss.get(key), (int, float)):
                    ss[key] = float(default) if isinstance(default, (int, float)) else 0.0
                params[name] = col.number_input(safe.md(f"${name}"), key=key, step=0.1, format="%g")
            else:
                if not isinstance(ss.get(key), str):
                    ss[key] = str(default) if default is not None else ""
                params[name] = col.text_input(safe.md(f"${name}"), key=key)
    b1, b2, _ = st.columns([1, 2, 3])
    clicked = b1.button(tr("run"), type="primary", key="sql_run", width="stretch")
    limit = b2.number_input(tr("time_limit"), min_value=1, max_value=int(sandbox.TIME_LIMIT_S),
                            value=int(sandbox.TIME_LIMIT_S), step=1, key="sql_time_limit")

run_now = ss.pop("sql_run_now", False)
if clicked or submitted or run_now:
    text, started = ss["sql_text"], datetime.now()
    outcome = {"sql": text, "at": started.strftime("%H:%M:%S"), "result": None, "error": None}
    with st.spinner(tr("running")):
        try:
            bound = {n: sandbox.bind_value(n, v) for n, v in params.items()}
            outcome["result"] = res = sandbox.run(text, bound, scope=account_region, time_limit_s=limit)
            history.record(user, text, bound, outcome="ok", elapsed_s=res.elapsed_s, rows=res.frame.height,
                           truncated=res.truncated, scope=account_region)
        except sandbox.SandboxError as exc:
            outcome["error"] = exc
            history.record(user, text, params, outcome=exc.outcome, kind=exc.kind, message=exc.message,
                           elapsed_s=(datetime.now() - started).total_seconds(), scope=account_region)
    outcome["params"] = params
    ss["sql_result"] = outcome
    ss.pop("sql_export", None)

last = ss.get("sql_result")
with left:  # the outcome right under the Run button, where the eye is
    if not last:
        st.info(tr("no_result"))
    else:
        st.caption(tr("ran_at", at=last["at"], sql=safe.md(view.preview(last["sql"]))))
        if last["error"] is not None:
            st.error(safe.md(last["error"].message))  # DuckDB errors echo the statement
            if last["error"].detail:
                st.code(last["error"].detail, language=None, wrap_lines=True)
        else:
            r = last["result"]
            st.success(tr("done", n=r.frame.height, ms=r.elapsed_s * 1000))

# ---------------------------------------------------------------- right: schema, examples, indicators, history
with right:
    t_schema, t_examples, t_ind, t_hist = st.tabs([tr("tab_schema"), tr("tab_examples"), tr("tab_indicators"),
                                                   tr("tab_history")])
    with t_schema:
        try:
            cols = sandbox.schema(account_region)
        except sandbox.SandboxError as exc:
            st.error(safe.md(exc.message))
            cols = None
        if cols is not None:
            tables = cols.unique("table_name", keep="first", maintain_order=True).select(
                "table_name", "rows", "table_description")
            pick = st.dataframe(
                tables, hide_index=True, width="stretch", height=260, key="sql_schema_pick",
                on_select="rerun", selection_mode="single-row",
                column_config={"table_name": st.column_config.TextColumn(tr("table")),
                               "table_description": st.column_config.TextColumn(tr("desc"), width="large"),
                               "rows": st.column_config.NumberColumn(tr("rows"), format="localized")})
            chosen = pick.selection.rows if pick is not None and hasattr(pick, "selection") else []
            table = tables["table_name"][chosen[0]] if chosen else "dispute_case"
            table = table if table in tables["table_name"].to_list() else tables["table_name"][0]
            st.caption(tr("pick_table"))
            st.button(tr("insert_table", t=table), key="sql_insert_table", on_click=append_name, args=(table,))
            tcols = cols.filter(pl.col("table_name") == table)
            st.pills(tr("insert_column"), tcols["column_name"].to_list(), key=f"sql_pill_{table}",
                     on_change=append_pill, args=(f"sql_pill_{table}",))
            st.dataframe(tcols.select("column_name", "data_type", "description"), hide_index=True,
                         width="stretch", height=300,
                         column_config={"column_name": st.column_config.TextColumn(tr("column")),
                                        "data_type": st.column_config.TextColumn(tr("type")),
                                        "description": st.column_config.TextColumn(tr("desc"), width="large")})
    with t_examples:
        catalog = queries.catalog()
        domain_of = {q.name: view.example_domain(q.name, q.domain) for q in catalog}
        domains = sorted(set(domain_of.values()))
        dom = st.selectbox(tr("domain"), [""] + domains, key="sql_ex_domain",
                           format_func=lambda d: tr("all") if not d else view.domain_label(d, lang))
        shown = [q for q in catalog if not dom or domain_of[q.name] == dom]
        by_name = {q.name: q for q in shown}
        ex = st.selectbox(tr("example"), list(by_name), key="sql_ex_name",
                          format_func=lambda n: f"{view.domain_label(domain_of[n], lang)} · {by_name[n].title}")
        if ex:
            q = by_name[ex]
            st.markdown(f"**{q.name}**  \n{q.title}")
            st.caption(tr("grain", g=q.grain or "—") + " · " +
                       tr("uses", p=", ".join(f"${p}" for p in q.params) or tr("no_params")))
            st.button(tr("load"), key="sql_ex_load", on_click=set_text, args=(q.sql,), type="primary")
            st.code(q.sql, language="sql", height=300)
    with t_ind:
        needle = st.text_input(tr("search"), key="sql_ind_search")
        inds = view.search_indicators(queries.run("meta_indicators"), needle)
        ind_pick = st.dataframe(
            inds.select("code", (pl.col("name_zh") + "(" + pl.col("unit") + ")").alias("name_unit"), "target"),
            hide_index=True, width="stretch", height=360, key="sql_ind_pick", on_select="rerun",
            selection_mode="single-row",
            column_config={"code": st.column_config.TextColumn(tr("ind_code")),
                           "name_unit": st.column_config.TextColumn(tr("ind_name")),
                           "target": st.column_config.NumberColumn(tr("ind_target"), format="%g", width="small")})
        rows_ = ind_pick.selection.rows if ind_pick is not None and hasattr(ind_pick, "selection") else []
        if rows_ and rows_[0] < inds.height:
            ind = inds.row(rows_[0], named=True)
            better = tr("higher") if ind["direction"] == "higher" else tr("lower")
            st.markdown(f"**{ind['name_zh']}**({ind['unit']},{better})  \n{ind['definition_zh']}")
            st.button(tr("insert_code", c=ind["code"]), key="sql_insert_code", on_click=append_name,
                      args=(f"'{ind['code']}'",))
        else:
            st.caption(tr("pick_indicator"))
    with t_hist:
        entries = history.recent(user, limit=100)
        if not entries:
            st.info(tr("no_history"))
        else:
            hist = view.history_frame(entries, lang)
            h_pick = st.dataframe(
                hist, hide_index=True, width="stretch", height=360, key="sql_hist_pick", on_select="rerun",
                selection_mode="single-row",
                column_config={"time": st.column_config.TextColumn(tr("h_time")),
                               "outcome": st.column_config.TextColumn(tr("h_outcome")),
                               "rows": st.column_config.NumberColumn(tr("h_rows"), format="localized"),
                               "elapsed_ms": st.column_config.NumberColumn(tr("h_ms"), format="%.0f"),
                               "sql": st.column_config.TextColumn(tr("h_sql"), width="medium")})
            picked = h_pick.selection.rows if h_pick is not None and hasattr(h_pick, "selection") else []
            st.caption(tr("pick_history"))
            if picked and picked[0] < len(entries):
                c1, c2 = st.columns(2)
                c1.button(tr("load"), key="sql_hist_load", on_click=load_entry, args=(entries[picked[0]], False))
                c2.button(tr("rerun"), key="sql_hist_rerun", on_click=load_entry, args=(entries[picked[0]], True),
                          type="primary")

# ---------------------------------------------------------------- results
if not last or last["error"] is not None:
    st.stop()
st.divider()
res: sandbox.Result = last["result"]
df = res.frame
m1, m2, m3, m4 = st.columns(4)
m1.metric(tr("m_rows"), f"{df.height:,}")
m2.metric(tr("m_total"), f"{res.total_rows:,}" if res.total_rows is not None
          else tr("unknown_total", n=res.row_limit))
m3.metric(tr("m_elapsed"), tr("ms", ms=res.elapsed_s * 1000))
m4.metric(tr("m_cols"), f"{df.width}")
if res.truncated:
    st.warning(tr("truncated", n=res.row_limit, e=sandbox.EXPORT_ROWS))
if df.height == 0:
    st.info(tr("empty"))

colcfg = {}
for name, dtype in df.schema.items():
    if dtype.is_numeric():
        colcfg[name] = st.column_config.NumberColumn(name, format=view.number_format(name, dtype))
    elif dtype == pl.Date:
        colcfg[name] = st.column_config.DateColumn(name, format="YYYY-MM-DD")
    elif isinstance(dtype, pl.Datetime):
        colcfg[name] = st.column_config.DatetimeColumn(name, format="YYYY-MM-DD HH:mm:ss")

g_tab, c_tab = st.tabs([tr("tab_grid"), tr("tab_chart")])
with g_tab:
    st.dataframe(df, hide_index=True, width="stretch", height=min(38 + 35 * max(df.height, 1), 520),
                 column_config=colcfg)
with c_tab:
    numeric = [c for c, t in df.schema.items() if t.is_numeric()]
    if not numeric or df.height == 0:
        st.info(tr("chart_needs"))
    else:
        k1, k2, k3, k4 = st.columns(4)
        kind = k1.radio(tr("chart_kind"), ["bar", "line", "scatter"], key="sql_chart_kind", horizontal=True,
                        format_func=tr)
        x = k2.selectbox(tr("x"), df.columns, key="sql_chart_x")
        ys = k3.multiselect(tr("y"), numeric, default=[c for c in numeric if c != x][:1] or numeric[:1],
                            key="sql_chart_y")
        cats = [c for c, t in df.schema.items() if t in (pl.Utf8, pl.Categorical, pl.Boolean) and c != x]
        color = k4.selectbox(tr("color"), [""] + cats, key="sql_chart_color",
                             format_func=lambda c: c or tr("none"))
        if ys:
            title = st.text_input(tr("chart_title"), value=tr("t_" + kind, x=x, y="、".join(ys)),
                                  key=f"sql_chart_title_{kind}_{x}_{'_'.join(ys)}")
            data = df.select(list(dict.fromkeys([x, *ys] + ([color] if color else []))))
            draw = {"bar": px.bar, "line": px.line, "scatter": px.scatter}[kind]
            if len(ys) > 1:
                data = data.unpivot(index=[x] + ([color] if color else []), on=ys, variable_name="series",
                                    value_name="value")
            # column names and text values are the statement's: shown as written, never as plotly's HTML
            data, labels = charts.plain_frame(data)
            if len(ys) > 1:
                fig = draw(data, x=x, y="value", color="series", color_discrete_sequence=charts.CATEGORICAL,
                           labels=labels, **({"barmode": "group"} if kind == "bar" else {}))
            else:
                fig = draw(data, x=x, y=ys[0], color=color or None, color_discrete_sequence=charts.CATEGORICAL,
                           labels=labels, **({"barmode": "group"} if kind == "bar" else {}))
            st.plotly_chart(charts.style(fig, charts.plain(title)), width="stretch", key="sql_chart")
            st.caption(tr("chart_rows", n=df.height))

st.markdown(f"**{tr('download')}**")
base = f"自助查询_{datetime.now():%Y%m%d_%H%M}"


def download_row(result: sandbox.Result, key: str) -> None:
    """The files are written only when a button is clicked (deferred downloads), not at every rerun; each is
    stamped with the account and time and written to the audit log (Result.export_for)."""
    acct = auth.current_account() or auth.LOCAL_DEMO
    if not acct.can("export"):
        st.caption(i18n.pick(*stamped.REFUSED, lang))
        return

    def file(fmt: str):
        return lambda: result.export_for(fmt, acct, account_region)

    c1, c2, c3, _ = st.columns([2, 2, 2, 3])
    c1.download_button(tr("csv"), data=file("csv"), file_name=f"{base}.csv", mime="text/csv",
                       on_click="ignore", key=f"{key}_csv")
    c3.download_button(tr("parquet"), data=file("parquet"), file_name=f"{base}.parquet",
                       mime="application/vnd.apache.parquet", on_click="ignore", key=f"{key}_parquet")
    if result.frame.height <= sandbox.XLSX_ROWS:
        c2.download_button(tr("xlsx"), data=file("xlsx"), file_name=f"{base}.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           on_click="ignore", key=f"{key}_xlsx")
    else:
        c2.caption(tr("xlsx_too_big", n=sandbox.XLSX_ROWS))


if not res.truncated or not (auth.current_account() or auth.LOCAL_DEMO).can("export"):
    download_row(res, "sql_dl")
else:
    exp = ss.get("sql_export")
    if st.button(tr("prepare_export", e=sandbox.EXPORT_ROWS), key="sql_prepare_export"):
        with st.spinner(tr("running")):
            try:
                exp = {"result": sandbox.export(res.sql, res.params, scope=account_region, time_limit_s=limit),
                       "error": None}
                history.record(user, res.sql, res.params, outcome="ok", kind="export",
                               elapsed_s=exp["result"].elapsed_s, rows=exp["result"].frame.height,
                               truncated=exp["result"].truncated, scope=account_region)
            except sandbox.SandboxError as exc:
                exp = {"result": None, "error": exc}
                history.record(user, res.sql, res.params, outcome=exc.outcome, kind=exc.kind, message=exc.message,
                               elapsed_s=0.0, scope=account_region)
        ss["sql_export"] = exp
    if exp and exp["error"] is not None:
        st.error(safe.md(exp["error"].message))
    elif exp:
        full = exp["result"]
        more = tr("export_more", e=sandbox.EXPORT_ROWS) if full.truncated else ""
        st.success(tr("export_ready", n=full.frame.height, more=more))
        download_row(full, "sql_full")
