"""矛盾纠纷化解: the funnel against a second period or region, success against target, composition, time, backlog.

Page parameters kept in the URL besides the shared scope: `category` (a dispute category code) and `cmp`
(`previous`, `year_ago` or the six-digit code of a sibling region).
"""
from datetime import date

import polars as pl
import streamlit as st

from pingan import auth, fmt, frame, periods, queries, rules
from pingan.charts import CATEGORICAL
from pingan.charts import disputes as charts
from pingan.i18n import t

TEXT = {
    "title": ("{name}矛盾纠纷排查化解", "Dispute resolution: {name}"),
    "filters": ("本页筛选", "This page"),
    "category": ("纠纷类别", "Dispute category"),
    "all_categories": ("全部类别", "All categories"),
    "compare": ("对比对象", "Compare with"),
    "previous": ("上一期({p})", "Previous period ({p})"),
    "year_ago": ("去年同期({p})", "Same period last year ({p})"),
    "sibling": ("同期 {name}", "{name}, same period"),
    "only_category": ("以下件数和比率仅含“{c}”类纠纷(公开数字核对除外)。",
                      "Counts and rates below cover “{c}” disputes only (except the published-figure check)."),
    "formula": ("**{rate}** = {res} {r:,} 件 ÷ {idf} {i:,} 件 = **{v}**(目标 {t}%)。若以{acc} {a:,} 件为分母则为"
                " {alt},不是本指标的口径。所有件数按登记(排查)日期归入期间。",
                "**{rate}** = {res} {r:,} ÷ {idf} {i:,} = **{v}** (target {t}%). Dividing by {acc} ({a:,}) would "
                "give {alt}, which is not this indicator's definition. Cases count in the period of their "
                "identification date."),
    "still_open": ("本期登记的案件中有 {n:,} 件截至{d}仍在办理,计入分母;办结后成功率会变化。",
                   "{n:,} cases identified in the period were still open on {d}; they count in the denominator, "
                   "so the rate will change as they close."),
    "published": ("公开数字与数据仓库核对", "Published figures against the warehouse"),
    "published_note": ("公开数字为全部类别;仓库数字按同一地区、期间和口径汇总。",
                       "Published figures cover all categories; the warehouse figure uses the same place, period "
                       "and definition."),
    "match": ("✓ 一致", "✓ match"), "differs": ("✗ 不一致", "✗ differs"),
    "definitions": ("口径说明:每个比率是什么除以什么", "Definitions: what each rate divides by what"),
    "catalog_def": ("指标目录定义", "Catalog definitions"),
    "catalog_mismatch": ("指标目录对“{rate}”的定义与本页及公开数字所用口径(化解成功 ÷ 排查登记)不一致,"
                         "见下表核对;目录定义有待修订。",
                         "The catalog's definition of “{rate}” differs from the one this page and the published "
                         "figures use (resolved ÷ identified); see the check below. The catalog needs correcting."),
    "evidence": ("为什么分母是排查登记而不是受理:公开的化解成功率与两种算法的比较",
                 "Why the denominator is cases identified, not accepted: published rates under both definitions"),
    "evidence_note": ("“以上”类的多年公开数字与各年中最低的一年比较。",
                      "A multi-year “以上” (at least) figure is compared with its lowest year."),
    "s_funnel": ("① 排查 → 受理 → 调解 → 化解成功 → 回访", "① Identified → accepted → mediated → resolved → followed up"),
    "funnel_title": ("{name}{p}排查{i},化解成功{r}", "{name}, {p}: {i} identified, {r} resolved"),
    "no_compare": ("{name}{p}没有案件数据;可在左侧“对比对象”中改选去年同期或其他地区。",
                   "{name} has no cases in {p}; choose another comparison in the sidebar."),
    "stage": ("环节", "Stage"), "this": ("本期(件)", "This (cases)"), "this_conv": ("本期占排查(%)", "This: % of identified"),
    "other": ("对比(件)", "Comparison (cases)"), "other_conv": ("对比占排查(%)", "Comparison: % of identified"),
    "change": ("变化(%)", "Change (%)"),
    "by_year": ("逐年化解成功率", "Success rate year by year"),
    "years_ok": ("{name}{p}每年化解成功率均达到{t}%目标", "{name} met the {t}% target in every year of {p}"),
    "years_bad": ("{name}{p}有{k}个年度低于{t}%目标", "{name} missed the {t}% target in {k} year(s) of {p}"),
    "year": ("年度", "Year"),
    "s_target": ("② 化解成功率与目标", "② Success rate against target"),
    "below_k": ("{k}{lvl}低于{t}%的化解成功率目标", "{k} {lvl} below the {t}% success target"),
    "below_none": ("{k}{lvl}均达到{t}%的化解成功率目标", "All {k} {lvl} meet the {t}% success target"),
    "siblings_note": ("所选为县级地区:与同一市(州)的其他县(市、区)并列比较(▶ 为所选)。",
                      "A county is selected: it is ranked among the other counties of its prefecture (▶ marks it)."),
    "region": ("地区", "Region"),
    "rate_prev": ("上期成功率(%)", "Previous (%)"), "change_pp": ("变化(个百分点)", "Change (pp)"),
    "target_pct": ("目标(%)", "Target (%)"), "below": ("低于目标", "Below target"),
    "identified": ("排查(件)", "Identified (cases)"), "accepted": ("受理(件)", "Accepted (cases)"),
    "mediated": ("调解(件)", "Mediated (cases)"), "resolved": ("化解成功(件)", "Resolved (cases)"),
    "followed_up": ("回访(件)", "Followed up (cases)"), "rate": ("化解成功率(%)", "Success rate (%)"),
    "share": ("占比(%)", "Share (%)"), "ya": ("去年同期排查(件)", "Same period last year (cases)"),
    "yoy": ("同比(%)", "YoY (%)"), "median_days": ("化解用时中位数(天)", "Median days"),
    "p90_days": ("化解用时P90(天)", "P90 days"),
    "s_mix": ("③ 纠纷类别、化解渠道与月度走势", "③ Categories, channels and the monthly trend"),
    "not_comparable": ("本期与上期一期是导入的数据、另一期是演示数据,不计算变化。",
                       "One of this period and the previous one is imported data, the other demo data: no change "
                       "is computed."),
    "stages_unknown": ("导入的汇总报表没有填写部分环节,这些环节显示为“—”,化解成功率也无法计算。",
                       "The imported report leaves some stages blank: they show as “—” and the success rate "
                       "cannot be computed."),
    "records_demo": ("以上总数来自导入的汇总报表;类别、渠道、用时和积压只能按案件明细统计,这里仍是演示数据。",
                     "The totals above come from imported reports; categories, channels, durations and the backlog "
                     "can only be counted from case records, which here are still demo data."),
    "cat_title": ("{top}纠纷最多;{grow}增长最快(同比{g})", "Most common: {top}<br>Fastest growing: {grow} ({g})"),
    "cat_title_na": ("{top}纠纷最多(上年同期无数据)", "Most common: {top}<br>(no data a year earlier)"),
    "cat_title_flat": ("{top}纠纷最多,各类纠纷均未增长", "Most common: {top}<br>No category grew"),
    "chan_title": ("{top}承担了{s}的矛盾纠纷", "{top}<br>handled {s} of the disputes"),
    "cat_tab": ("按类别", "By category"), "chan_tab": ("按渠道", "By channel"),
    "cat_col": ("类别", "Category"), "chan_col": ("渠道", "Channel"),
    "trend_title": ("{p}共排查{i},比上年同期{chg}", "{p}: {i} identified, {chg} on a year earlier"),
    "more": ("增加", "up "), "less": ("减少", "down "),
    "trend_title_na": ("{p}共排查{i}(上年同期无数据)", "{p}: {i} identified (no data a year earlier)"),
    "month": ("月份", "Month"), "by_month": ("按月明细", "Month by month"),
    "ya_month": ("去年同月排查(件)", "Same month last year (cases)"),
    "s_time": ("④ 化解用时与积案", "④ Time to resolve and backlog"),
    "days_title_chan": ("{slow}化解用时最长,中位数{d}天", "{slow} takes longest<br>median {d} days"),
    "days_title_cat": ("{slow}类纠纷化解用时最长,中位数{d}天", "{slow} disputes take longest<br>median {d} days"),
    "days_note": ("用时 = 结案日期 − 受理日期,仅计化解成功的案件;P90 表示九成案件在此天数之内化解。",
                  "Days = closing date − acceptance date of resolved cases; 90% of cases are resolved within P90."),
    "backlog_asof": ("截至{d}的在办案件(已受理、尚未办结)", "Open cases on {d} (accepted, not yet closed)"),
    "open_total": ("在办案件", "Open cases"),
    "backlog_title": (f"截至{{d}}尚有{{n}}在办,其中受理超过{rules.BACKLOG_OVER_DAYS}天的{{m}}",
                      f"{{n}} open on {{d}}, {{m}} of them accepted over {rules.BACKLOG_OVER_DAYS} days ago"),
    "no_backlog": ("截至{d}没有在办案件。", "No open cases on {d}."),
    "county": ("县(市、区)", "County"), "prefecture": ("市(州)", "Prefecture"),
    "oldest": ("最久未结的案件(最多500件,按受理日期排序)", "The oldest open cases (at most 500, by acceptance date)"),
    "case_id": ("案件编号", "Case ID"), "grid_id": ("网格编号", "Grid ID"),
    "identified_date": ("登记日期", "Identified"), "accepted_date": ("受理日期", "Accepted"),
    "mediated_date": ("调解日期", "Mediated"), "oldest_days": ("最久已受理天数(天)", "Oldest (days)"),
    "age_days": ("已受理天数(天)", "Days since acceptance"),
    "open_col": ("在办案件(件)", "Open cases"),
    "loading": ("正在汇总矛盾纠纷数据…", "Aggregating dispute cases…"),
    "published_col": ("公开数字", "Published"), "warehouse_col": ("仓库数字", "Warehouse"),
    "quote": ("原文", "Quote"), "check": ("核对", "Check"), "indicator": ("指标", "Indicator"),
    "period": ("期间", "Period"), "over_identified": ("化解成功÷排查(%)", "Resolved ÷ identified (%)"),
    "over_accepted": ("化解成功÷受理(%)", "Resolved ÷ accepted (%)"), "lowest_year": ("最低年度(%)", "Lowest year (%)"),
    "published_pct": ("公开成功率", "Published rate"),
    "levels": ({"province": "个省(区)", "prefecture": "个市(州)", "county": "个县(市、区)"},
               {"province": "provinces", "prefecture": "prefectures", "county": "counties"}),
}
DEFINITION_ORDER = ["dispute_identified", "dispute_accepted", "dispute_mediated", "dispute_resolved",
                    "dispute_followed_up", "dispute_success_rate", "dispute_median_days", "dispute_backlog_90d"]
STAGES = (("identified", "排查", "Identified"), ("accepted", "受理", "Accepted"), ("mediated", "调解", "Mediated"),
          ("resolved", "化解成功", "Resolved"), ("followed_up", "回访", "Followed up"))


def tx(key: str, **kw):
    zh, en = TEXT[key]
    text = en if lang == "en" else zh
    return text.format(**kw) if kw else text


def url_choice(key: str, param: str, options: list[str], default: str) -> None:
    """Seed a page widget from the link on the first run; drop a value that is no longer an option."""
    if key not in st.session_state:
        st.session_state[key] = st.query_params.get(param, default)
    if st.session_state[key] not in options:
        st.session_state[key] = default


def url_write(param: str, value: str, default: str) -> None:
    if value != default:
        st.query_params[param] = value
    elif param in st.query_params:
        del st.query_params[param]


scope = frame.scope_filter()
lang = scope.lang
zh = lang == "zh"
P = scope.period
plabel = frame.period_label(P, lang)
count = charts.count

catalog = {r["code"]: r for r in queries.run("meta_indicators").iter_rows(named=True)}
info = dict(queries.run("meta_build_info").iter_rows())
data_as_of = date.fromisoformat(info.get("as_of", P.end.isoformat()))
as_of = min(P.end, data_as_of)  # backlog date: the end of the period, at most the data's as-of date
rate_ind = catalog["dispute_success_rate"]
target = rate_ind["target"]


def in_period(title: str) -> str:
    """A chart title that says which period it speaks of."""
    return f"{plabel}{title}" if zh else f"{plabel}: {title}"


def ind_name(code: str) -> str:
    return catalog[code]["name_en" if lang == "en" else "name_zh"]


def number(key: str, fmt_: str) -> st.column_config.NumberColumn:
    return st.column_config.NumberColumn(tx(key), format=fmt_)


def text(key: str) -> st.column_config.TextColumn:
    return st.column_config.TextColumn(tx(key))


# Every table's columns, by column name: the same name means the same thing (and unit) everywhere on the page.
COLUMNS = {
    **{k: number(k, "localized") for k in ("identified", "accepted", "mediated", "resolved", "followed_up")},
    "success_rate_pct": number("rate", "%.2f"), "share_pct": number("share", "%.1f"),
    "ya_identified": number("ya", "localized"), "yoy_pct": number("yoy", "%+.1f"),
    "median_days": number("median_days", "%.1f"), "p90_days": number("p90_days", "%.1f"),
    "case_year": number("year", "%d"), "region_name": text("region"), "short_name": text("region"),
    "period": text("period"), "stage": text("stage"), "this": number("this", "localized"),
    "this_conv": number("this_conv", "%.2f"), "other_conv": number("other_conv", "%.2f"),
    "change": number("change", "%+.1f"), "published_text": text("published_pct"),
    "rate_over_identified_pct": number("over_identified", "%.2f"),
    "lowest_year_rate_pct": number("lowest_year", "%.2f"),
    "rate_over_accepted_pct": number("over_accepted", "%.2f"),
    "prev_success_rate_pct": number("rate_prev", "%.2f"), "change_pp": number("change_pp", "%+.2f"),
    "target_pct": number("target_pct", "%g"), "below_target": st.column_config.CheckboxColumn(tx("below")),
    "month_start": st.column_config.DateColumn(tx("month"), format="YYYY-MM"),
    "county_name": text("county"), "prefecture_name": text("prefecture"), "open_cases": number("open_col", "localized"),
    "oldest_days": number("oldest_days", "%d"), "case_id": number("case_id", "%d"), "grid_id": number("grid_id", "%d"),
    "identified_date": st.column_config.DateColumn(tx("identified_date"), format="YYYY-MM-DD"),
    "accepted_date": st.column_config.DateColumn(tx("accepted_date"), format="YYYY-MM-DD"),
    "mediated_date": st.column_config.DateColumn(tx("mediated_date"), format="YYYY-MM-DD"),
    "age_days": number("age_days", "%d"),
    **{f"{k}_{lang}": text(key) for k, key in (("category", "cat_col"), ("channel", "chan_col"))},
}


def table(df: pl.DataFrame, basename: tuple[str, str], key: str, export: pl.DataFrame | None = None,
          height: int | str = "auto", where=st, **columns) -> None:
    """A sortable table (in `where`) with the page's column names and units; its CSV/Excel downloads below."""
    where.dataframe(df, hide_index=True, width="stretch", height=height, column_config={**COLUMNS, **columns},
                    key=f"{key}_table")
    frame.downloads(df if export is None else export, basename[0] if zh else basename[1], lang, key=key)


regs = frame.regions()
short = dict(zip(regs["code"].to_list(), regs["short_name"].to_list()))
parent_of = dict(zip(regs["code"].to_list(), regs["parent_code"].to_list()))
ancestors = {r["code"]: (r["code"], r["prefecture_code"], r["province_code"]) for r in regs.iter_rows(named=True)}
account = auth.current_account()


def visible(code: str) -> bool:
    """Inside the account's region scope: a 大理州 account compares with its own counties, not with 昆明."""
    return account is None or not account.region or account.region in ancestors.get(code, ())


# ---- page filters (sidebar, under the shared scope), kept in the link --------------------------------------------
with st.spinner(tx("loading")):
    by_cat = queries.run("disputes_by_category", region=scope.region, start=P.start, end=P.end,
                         ya_start=P.year_ago().start, ya_end=P.year_ago().end)
if P.year_ago().start < date(scope.first_year, 1, 1):  # the year before is not (wholly) in the data: no growth
    by_cat = by_cat.with_columns(pl.lit(None, pl.Int64).alias("ya_identified"),
                                 pl.lit(None, pl.Float64).alias("yoy_pct"))
cat_names = dict(zip(by_cat["category"].to_list(), by_cat["name_en" if lang == "en" else "name_zh"].to_list()))
same_level = regs.filter((pl.col("level") == scope.level) & (pl.col("code") != scope.region))
if scope.level in ("prefecture", "county"):
    same_level = same_level.filter(pl.col("parent_code") == parent_of.get(scope.region))
siblings = [] if scope.level == "all" else [c for c in same_level["code"].to_list() if visible(c)]
cmp_options = ["previous", "year_ago"] + siblings
url_choice("disputes_category", "category", [""] + list(cat_names), "")
url_choice("disputes_cmp", "cmp", cmp_options, "previous")
with st.sidebar:
    st.markdown(f"**{tx('filters')}**")
    category = st.selectbox(tx("category"), [""] + list(cat_names), key="disputes_category",
                            format_func=lambda c: cat_names.get(c, tx("all_categories")))
    cmp = st.selectbox(tx("compare"), cmp_options, key="disputes_cmp", format_func=lambda c: (
        tx("previous", p=frame.period_label(P.previous(), lang)) if c == "previous" else
        tx("year_ago", p=frame.period_label(P.year_ago(), lang)) if c == "year_ago" else
        tx("sibling", name=short.get(c, c))))
url_write("category", category, "")
url_write("cmp", cmp, "previous")

cmp_region = cmp if cmp in siblings else scope.region
cmp_period = P.previous() if cmp == "previous" else P.year_ago() if cmp == "year_ago" else P
place = scope.name if zh else short.get(scope.region, scope.name)  # chart titles: short names in English
cmp_name = short.get(cmp_region, place) if cmp_region != scope.region else place

with st.spinner(tx("loading")):  # side by side (queries.run_many): a first view waits for the slowest, not the sum
    fy, prev, other = queries.run_many([
        ("disputes_funnel_by_year", dict(region=scope.region, start=P.start, end=P.end, category=category)),
        ("disputes_funnel_by_year", dict(region=scope.region, start=P.previous().start, end=P.previous().end,
                                         category=category)),
        ("disputes_funnel_by_year", dict(region=cmp_region, start=cmp_period.start, end=cmp_period.end,
                                         category=category))])
total = fy.filter(pl.col("case_year").is_null()).row(0, named=True)
before = prev.filter(pl.col("case_year").is_null()).row(0, named=True)
other_total = other.filter(pl.col("case_year").is_null()).row(0, named=True)
years = fy.filter(pl.col("case_year").is_not_null())

records_demo = bool(by_cat["has_demo"].any())  # categories, channels, durations, backlog: case records only
frame.header(tx("title", name=scope.name), scope,
             bool(total["has_demo"] or other_total["has_demo"] or records_demo))
if total["identified"] == 0:
    st.info(t("no_data", lang))
    st.stop()
if category:
    st.caption(tx("only_category", c=cat_names[category]))

# ---- headline: the five stages and the success rate, against the previous period ---------------------------------
cols = st.columns([1, 1, 1, 1, 1, 1.3])
# an imported figure beside a demo one (or the reverse): a change between them would mean nothing
comparable = bool(total["has_demo"]) == bool(before["has_demo"])
for col, (key, _, en_short) in zip(cols, STAGES):
    code = f"dispute_{key}"
    change = fmt.change_ratio(total[key], before[key]) if comparable else None
    col.metric(f"{ind_name(code)}({catalog[code]['unit']})" if zh else f"{en_short} (cases)",
               count(total[key], lang, unit=False),
               delta=None if change is None else f"{change:+.1%} {t('vs_previous', lang)}",
               help=catalog[code]["definition_zh"])
rate_now, rate_before = total["success_rate_pct"], before["success_rate_pct"]
cols[5].metric(f"{ind_name('dispute_success_rate')}(%)" if zh else "Success rate (%)",
               fmt.pct(rate_now),
               delta=None if rate_before is None or rate_now is None or not comparable else
               (f"{rate_now - rate_before:+.2f} 个百分点" if zh else f"{rate_now - rate_before:+.2f} pp"),
               help=rate_ind["definition_zh"])
alt = fmt.pct(100.0 * total["resolved"] / total["accepted"]) if total["accepted"] and total["resolved"] is not None \
    else "—"
if not comparable:
    st.caption(tx("not_comparable"))
if any(total[k] is None for k, _, _ in STAGES):  # an imported report that leaves stages blank
    st.caption(tx("stages_unknown"))
if rate_now is not None:
    st.markdown(tx("formula", rate=ind_name("dispute_success_rate"), res=ind_name("dispute_resolved"),
                   r=total["resolved"], idf=ind_name("dispute_identified"), i=total["identified"],
                   v=fmt.pct(rate_now), t=f"{target:g}", acc=ind_name("dispute_accepted"), a=total["accepted"],
                   alt=alt))
if total["still_open"]:
    st.caption(tx("still_open", n=total["still_open"], d=fmt.date_zh(data_as_of) if zh else data_as_of.isoformat()))

# ---- published figures for exactly this place and period -----------------------------------------------------------
def published_text(v, unit: str, qualifier: str, decimals: int) -> str:
    """A figure as the source writes it: 26.39万件, 14.7万余件, 97%以上."""
    qual = "" if qualifier == "exact" else qualifier
    if unit == "%":
        return f"{fmt.pct(v, decimals)}{qual}"
    return f"{fmt.count_zh(v)}{qual}{unit}" if zh else f"{fmt.count_en(v)} {qual}".strip()


def published_checks(keys: list[tuple[str, date, date]]) -> list[pl.DataFrame]:
    """Published figures beside the warehouse for each (place, start, end), fetched side by side."""
    frames = queries.run_many([("disputes_published_figures", dict(region=r, start=a, end=b)) for r, a, b in keys])
    return [df.with_columns(pl.struct("published_value", "unit", "qualifier", "decimals").map_elements(
        lambda s: published_text(s["published_value"], s["unit"], s["qualifier"], s["decimals"]),
        return_dtype=pl.Utf8).alias("published_text")) for df in frames]


def published_check(region: str, start: date, end: date) -> pl.DataFrame:
    return published_checks([(region, start, end)])[0]


published = queries.run("disputes_published_list", region="")  # every figure the account may see
is_here = ((pl.col("region_code") == scope.region) & (pl.col("period_start") == P.start)
           & (pl.col("period_end") == P.end))
here = published_check(scope.region, P.start, P.end) if published.filter(is_here).height else pl.DataFrame()
if here.height:
    with st.container(border=True):
        st.markdown(f"**{tx('published')}**")
        shown = here.with_columns(
            pl.col("indicator_en" if lang == "en" else "indicator_zh").alias("indicator_name"),
            pl.struct("warehouse_value", "unit").map_elements(
                lambda s: "—" if s["warehouse_value"] is None else fmt.pct(s["warehouse_value"])
                if s["unit"] == "%" else f"{s['warehouse_value']:,.0f}",
                return_dtype=pl.Utf8).alias("warehouse_text"),
            pl.when(pl.col("matches")).then(pl.lit(tx("match"))).when(pl.col("matches").not_())
            .then(pl.lit(tx("differs"))).otherwise(pl.lit("—")).alias("check"),
        )
        st.dataframe(shown.select("indicator_name", "published_text", "warehouse_text", "check", "quote"),
                     hide_index=True, width="stretch", column_config={
                         "indicator_name": st.column_config.TextColumn(tx("indicator")),
                         "published_text": st.column_config.TextColumn(tx("published_col")),
                         "warehouse_text": st.column_config.TextColumn(tx("warehouse_col")),
                         "check": st.column_config.TextColumn(tx("check")),
                         "quote": st.column_config.TextColumn(tx("quote"), width="large")})
        st.caption(tx("published_note"))

# ---- definitions ---------------------------------------------------------------------------------------------------
with st.expander(tx("definitions")):
    st.markdown(f"**{tx('catalog_def')}**")
    st.markdown("\n".join(
        f"- **{ind_name(code)}**({row['unit']}):{row['definition_zh']}" if zh else
        f"- **{ind_name(code)}** ({row['unit']}): {row['definition_zh']}"
        for code, row in sorted(catalog.items(), key=lambda kv: DEFINITION_ORDER.index(kv[0])
                                if kv[0] in DEFINITION_ORDER else len(DEFINITION_ORDER))
        if row["domain"] == "disputes"))
    if "排查" not in rate_ind["definition_zh"]:
        st.warning(tx("catalog_mismatch", rate=ind_name("dispute_success_rate")), icon="⚠️")
    rates = published.filter((pl.col("indicator") == "dispute_success_rate")
                             & (pl.col("period_start") >= date(scope.first_year, 1, 1)))
    checks = published_checks(list(rates.select("region_code", "period_start", "period_end")
                                   .unique(maintain_order=True).iter_rows()))
    evidence = pl.concat(checks).filter(
        (pl.col("indicator") == "dispute_success_rate") & pl.col("rate_over_identified_pct").is_not_null()
    ).with_columns((pl.col("period_start").dt.strftime("%Y-%m") + " — " + pl.col("period_end").dt.strftime("%Y-%m"))
                   .alias("period")) if checks else pl.DataFrame()
    if evidence.height:
        st.markdown(f"**{tx('evidence')}**")
        st.caption(tx("evidence_note"))
        table(evidence.select("region_name", "period", "published_text", "rate_over_identified_pct",
                              "lowest_year_rate_pct", "rate_over_accepted_pct", "identified", "accepted", "resolved"),
              ("化解成功率口径核对", "success_rate_check"), "evidence",
              export=evidence.drop("period_start", "period_end", "published_text"))

# ---- ① funnel, side by side with the comparison ---------------------------------------------------------------------
st.subheader(tx("s_funnel"))
stage_names = [zh_ if zh else en_ for _, zh_, en_ in STAGES]
c1, c2 = st.columns(2)
c1.plotly_chart(charts.funnel(
    [(n, total[k]) for n, (k, _, _) in zip(stage_names, STAGES) if total[k] is not None],
    tx("funnel_title", name=place, p=plabel, i=count(total["identified"], lang),
       r=count(total["resolved"], lang)), lang), key="funnel_main", width="stretch")
if other_total["identified"]:
    c2.plotly_chart(charts.funnel(
        [(n, other_total[k]) for n, (k, _, _) in zip(stage_names, STAGES) if other_total[k] is not None],
        tx("funnel_title", name=cmp_name, p=frame.period_label(cmp_period, lang),
           i=count(other_total["identified"], lang), r=count(other_total["resolved"], lang)), lang,
        colour=CATEGORICAL[1]), key="funnel_other", width="stretch")
else:
    c2.info(tx("no_compare", name=cmp_name, p=frame.period_label(cmp_period, lang)))
stage_table = pl.DataFrame({
    "stage": stage_names,
    "this": [total[k] for k, _, _ in STAGES],
    "other": [other_total[k] for k, _, _ in STAGES],
}).with_columns(
    (100.0 * pl.col("this") / total["identified"]).alias("this_conv"),
    (100.0 * pl.col("other") / pl.lit(other_total["identified"] or None)).alias("other_conv"),
    (100.0 * (pl.col("this") - pl.col("other")) / pl.when(pl.col("other") > 0).then(pl.col("other"))).alias("change"),
)
stage_cols = ["stage", "this", "this_conv"] + (["other", "other_conv", "change"] if other_total["identified"] else [])
table(stage_table.select(stage_cols), ("矛盾纠纷漏斗对比", "dispute_funnel_comparison"), "funnel",
      other=st.column_config.NumberColumn(f"{cmp_name} · {frame.period_label(cmp_period, lang)}(件)" if zh else
                                          f"{cmp_name}, {frame.period_label(cmp_period, lang)} (cases)",
                                          format="localized"))

if years.height > 1:
    st.markdown(f"**{tx('by_year')}**")
    k_bad = years.filter(pl.col("success_rate_pct") < target).height if target is not None else 0
    yt = (tx("years_ok", name=place, p=plabel, t=f"{target:g}") if k_bad == 0 else
          tx("years_bad", name=place, p=plabel, k=k_bad, t=f"{target:g}"))
    y1, y2 = st.columns(2)
    y1.plotly_chart(charts.yearly_rates(years, target, yt, lang), key="years_chart", width="stretch")
    table(years.select("case_year", "identified", "accepted", "resolved", "success_rate_pct"),
          ("逐年化解成功率", "success_by_year"), "years", export=years.drop("has_demo"), where=y2)

# ---- ② success by sub-region against the target ---------------------------------------------------------------------
st.subheader(tx("s_target"))
rank_region, rank_level, highlight = scope.region, scope.child_level or "county", ""  # a county alone: itself
if scope.level == "county" and visible(parent_of.get(scope.region, "")):
    rank_region, rank_level, highlight = parent_of.get(scope.region, ""), "county", scope.region
    st.caption(tx("siblings_note"))
with st.spinner(tx("loading")):
    sub = queries.run("disputes_success_by_subregion", region=rank_region, child_level=rank_level, start=P.start,
                      end=P.end, prev_start=P.previous().start, prev_end=P.previous().end, category=category)
sub = sub.filter(pl.col("identified") > 0)
if sub.height == 0:
    st.info(t("no_data", lang))
else:
    k_below = sub.filter(pl.col("below_target")).height
    lvl = TEXT["levels"][1 if lang == "en" else 0][rank_level]
    rt = in_period(tx("below_k", k=k_below, lvl=lvl, t=f"{target:g}") if k_below else
                   tx("below_none", k=sub.height, lvl=lvl, t=f"{target:g}"))
    st.plotly_chart(charts.success_dumbbell(sub, target, rt, lang, highlight), key="rank_chart", width="stretch")
    has_prev = sub["prev_success_rate_pct"].null_count() < sub.height
    sub_cols = ["short_name", "identified", "resolved", "success_rate_pct"] + (
        ["prev_success_rate_pct", "change_pp"] if has_prev else []) + ["target_pct", "below_target"]
    table(sub.select(sub_cols), ("化解成功率与目标", "success_vs_target"), "rank",
          export=sub.select(["code"] + sub_cols))

# ---- ③ composition: categories, channels, monthly trend -------------------------------------------------------------
st.subheader(tx("s_mix"))
if records_demo and not total["has_demo"]:
    frame.demo_badge(lang)
    st.caption(tx("records_demo"))
months_back = P.end.year * 12 + P.end.month - 12  # the trend shows at least the twelve months up to the end
trend_start = min(P.start, date(months_back // 12, months_back % 12 + 1, 1))
with st.spinner(tx("loading")):
    by_chan, days, trend, backlog, oldest = queries.run_many([
        ("disputes_by_channel", dict(region=scope.region, start=P.start, end=P.end, category=category)),
        ("disputes_days_to_resolve", dict(region=scope.region, start=P.start, end=P.end, category=category)),
        ("disputes_monthly_trend", dict(region=scope.region, start=trend_start, end=P.end,
                                        ya_start=date(trend_start.year - 1, trend_start.month, 1),
                                        category=category)),
        ("disputes_backlog_by_county", dict(region=scope.region, as_of=as_of, category=category)),
        ("disputes_oldest_open", dict(region=scope.region, as_of=as_of, category=category))])
name_col = "name_en" if lang == "en" else "name_zh"
c1, c2 = st.columns(2)
growing = by_cat.filter(pl.col("yoy_pct") > 0).sort("yoy_pct", descending=True)
top_cat = by_cat.row(0, named=True)[name_col]
cat_title = in_period(tx("cat_title_na", top=top_cat) if by_cat["ya_identified"].null_count() else
                      tx("cat_title", top=top_cat, grow=growing[name_col][0], g=f"{growing['yoy_pct'][0]:+.1f}%")
                      if growing.height else tx("cat_title_flat", top=top_cat))
c1.plotly_chart(charts.category_bars(by_cat, cat_title, lang, highlight=category), key="cat_chart", width="stretch")
chan_live = by_chan.filter(pl.col("identified") > 0)
if chan_live.height:
    top_chan = chan_live.row(0, named=True)
    chan_title = in_period(tx("chan_title", top=top_chan[name_col], s=fmt.pct(top_chan["share_pct"], 1)))
    c2.plotly_chart(charts.channel_bars(chan_live, target, chan_title, lang), key="chan_chart", width="stretch")
tab_cat, tab_chan = st.tabs([tx("cat_tab"), tx("chan_tab")])
with tab_cat:
    cat_cols = [name_col, "identified", "share_pct", "resolved", "success_rate_pct"] + (
        ["ya_identified", "yoy_pct"] if not by_cat["ya_identified"].null_count() else [])
    table(by_cat.select(cat_cols), ("矛盾纠纷类别", "dispute_categories"), "cat",
          export=by_cat.select(["category"] + cat_cols), **{name_col: text("cat_col")})
with tab_chan:
    chan_days = days.filter(pl.col("dimension") == "channel").select(
        pl.col("code").alias("channel"), "median_days", "p90_days")
    chan_table = by_chan.join(chan_days, on="channel", how="left")
    chan_cols = [name_col, "identified", "share_pct", "accepted", "resolved", "success_rate_pct", "median_days",
                 "p90_days"]
    table(chan_table.select(chan_cols), ("化解渠道", "dispute_channels"), "chan",
          export=chan_table.select(["channel"] + chan_cols), **{name_col: text("chan_col")})

if trend.height:
    last12 = trend.tail(12)  # the headline speaks of the last twelve months, which always have a year before
    tp = frame.period_label(periods.Period(last12["month_start"][0], P.end), lang)
    ya_sum = last12["ya_identified"].sum() if last12["ya_identified"].null_count() == 0 else None
    chg = fmt.change_ratio(last12["identified"].sum(), ya_sum)
    tt = (tx("trend_title", p=tp, i=count(last12["identified"].sum(), lang),
             chg=f"{tx('more') if chg >= 0 else tx('less')}{abs(chg):.1%}")
          if chg is not None else tx("trend_title_na", p=tp, i=count(last12["identified"].sum(), lang)))
    st.plotly_chart(charts.monthly_trend(trend, target, tt, lang), key="trend_chart", width="stretch")
    with st.expander(tx("by_month")):
        table(trend.select("month_start", "identified", "ya_identified", "yoy_pct", "resolved", "success_rate_pct"),
              ("月度走势", "monthly_trend"), "trend", ya_identified=number("ya_month", "localized"))

# ---- ④ time to resolve and backlog ----------------------------------------------------------------------------------
st.subheader(tx("s_time"))
c1, c2 = st.columns(2)
for col, dim, key in ((c1, "channel", "days_title_chan"), (c2, "category", "days_title_cat")):
    d = days.filter(pl.col("dimension") == dim)
    if d.height:
        slow = d.sort("median_days", descending=True).row(0, named=True)
        days_title = in_period(tx(key, slow=slow[name_col], d=f"{slow['median_days']:.0f}"))
        col.plotly_chart(charts.days_to_resolve(d, days_title, lang), key=f"days_{dim}", width="stretch")
st.caption(tx("days_note") + " " + ind_name("dispute_median_days") + ":" + catalog["dispute_median_days"][
    "definition_zh"] + (f"({t('target', lang)} ≤ {catalog['dispute_median_days']['target']:g} 天)"
                        if catalog["dispute_median_days"]["target"] is not None and zh else ""))

asof_text = fmt.date_zh(as_of) if zh else as_of.isoformat()
# backlog and oldest open cases were fetched with the composition above (one run_many)
st.markdown(f"**{tx('backlog_asof', d=asof_text)}**")
if backlog.height == 0:
    st.info(tx("no_backlog", d=asof_text))
else:
    sums = backlog.select(pl.col(c).sum() for c in ("open_cases",) + charts.AGE_BUCKETS).row(0, named=True)
    cols = st.columns(5)
    in_cases = "(件)" if zh else " (cases)"
    cols[0].metric(tx("open_total") + in_cases, count(sums["open_cases"], lang, unit=False))
    for col, key in zip(cols[1:], charts.AGE_BUCKETS):
        col.metric((charts.label(key, lang) if key != "age_over_90" else ind_name("dispute_backlog_90d")) + in_cases,
                   count(sums[key], lang, unit=False),
                   help=catalog["dispute_backlog_90d"]["definition_zh"] if key == "age_over_90" else None)
    st.plotly_chart(charts.backlog_by_county(backlog, tx("backlog_title", d=asof_text, n=count(
        sums["open_cases"], lang), m=count(sums["age_over_90"], lang)), lang,
        with_prefecture=scope.level in ("all", "province")), key="backlog_chart", width="stretch")
    backlog_cols = ["county_name", "prefecture_name", "open_cases", *charts.AGE_BUCKETS, "oldest_days"]
    table(backlog.select(backlog_cols), ("在办案件按县", "backlog_by_county"), "backlog",
          export=backlog.select(["county_code"] + backlog_cols),
          **{k: st.column_config.NumberColumn(f"{charts.label(k, lang)}(件)" if zh else charts.label(k, lang),
                                              format="localized") for k in charts.AGE_BUCKETS})

    st.markdown(f"**{tx('oldest')}**")
    oldest_cols = ["case_id", "county_name", "prefecture_name", "grid_id", f"category_{lang}", f"channel_{lang}",
                   "identified_date", "accepted_date", "mediated_date", "age_days"]
    table(oldest.select(oldest_cols), ("最久未结案件", "oldest_open_cases"), "oldest", height=420)
