"""数据来源: every published figure with its quote, beside the warehouse's value and a match mark."""
import polars as pl
import streamlit as st

from pingan import frame, queries

scope = frame.scope_filter()
lang = scope.lang
zh = lang == "zh"

figs = queries.run("sources_reconciliation", region=scope.region)
articles = {"qinghai": "青海", "ningxia": "宁夏", "yunnan": "云南", "dali": "大理州", "yulin": "玉林",
            "puyang": "濮阳", "ganzhou": "赣州", "qingyang": "庆阳", "longnan": "陇南"}
st.title("公开数据来源与核对" if zh else "Published figures and reconciliation")
st.caption("种子文件:2022年平安建设、市域社会治理工作总结汇编(9篇,涉及青海、宁夏、云南、大理州、玉林、濮阳、赣州、"
           "庆阳、陇南)。每个数字附原文引语;“校准”指演示数据按此数字生成,“仓库值”为数据仓库按同一地区、期间、口径"
           "的汇总。" if zh else
           "Seed: a 2022 compilation of nine work summaries. Each figure carries its quote; 'calibrated' figures are "
           "reproduced by the demo data; 'warehouse value' is the warehouse's aggregate for the same place, period "
           "and definition.")

calibrated = figs.filter(pl.col("calibrated"))
ok = calibrated.filter(pl.col("matches").fill_null(False)).height
c = st.columns(4)
c[0].metric("公开数字" if zh else "Published figures", f"{figs.height}")
c[1].metric("已校准" if zh else "Calibrated", f"{calibrated.height}")
c[2].metric("仓库复现" if zh else "Reproduced", f"{ok} / {calibrated.height}")
c[3].metric("仓库可核对" if zh else "Comparable", f"{figs.filter(pl.col('warehouse_value').is_not_null()).height}")

f1, f2, f3 = st.columns([2, 2, 3])
pick_articles = f1.multiselect("文章" if zh else "Article", list(articles), format_func=lambda a: articles[a],
                               key="src_articles", placeholder="全部文章" if zh else "All articles")
only = f2.selectbox("显示" if zh else "Show", ["all", "calibrated", "comparable", "mismatch"], key="src_only",
                    format_func=lambda x: {"all": "全部", "calibrated": "仅已校准", "comparable": "仅可核对",
                                           "mismatch": "仅不一致"}[x] if zh else x)
text = f3.text_input("搜索引语或指标" if zh else "Search quote or indicator", key="src_text")

view = figs
if pick_articles:
    view = view.filter(pl.col("article").is_in(pick_articles))
if only == "calibrated":
    view = view.filter(pl.col("calibrated"))
elif only == "comparable":
    view = view.filter(pl.col("warehouse_value").is_not_null())
elif only == "mismatch":
    view = view.filter(pl.col("matches") == False)  # noqa: E712
if text:
    view = view.filter(pl.col("quote").str.contains(text, literal=True)
                       | pl.col("indicator").str.contains(text, literal=True)
                       | pl.col("indicator_name").fill_null("").str.contains(text, literal=True))

view = view.with_columns(
    pl.col("article").replace_strict(articles, default=pl.col("article")).alias("article_name"),
    pl.col("indicator_name").fill_null(pl.col("indicator")),
    pl.when(pl.col("matches").is_null()).then(pl.lit("—"))
    .when(pl.col("matches")).then(pl.lit("✅ 一致" if zh else "✅ match"))
    .otherwise(pl.lit("❌ 不一致" if zh else "❌ differs")).alias("status"),
    (pl.col("period_start").dt.strftime("%Y-%m-%d") + " — " + pl.col("period_end").dt.strftime("%Y-%m-%d"))
    .alias("period"),
)
cols = ["figure_id", "region_name", "indicator_name", "published_value", "unit", "qualifier", "warehouse_value",
        "status", "calibrated", "period", "quote", "article_name", "indicator"]
st.dataframe(
    view.select(cols), hide_index=True, width="stretch", height=560,
    column_config={
        "figure_id": st.column_config.TextColumn("编号" if zh else "ID"),
        "article_name": st.column_config.TextColumn("文章" if zh else "Article"),
        "region_name": st.column_config.TextColumn("地区" if zh else "Region"),
        "indicator_name": st.column_config.TextColumn("指标" if zh else "Indicator"),
        "indicator": st.column_config.TextColumn("指标代码" if zh else "Code"),
        "published_value": st.column_config.NumberColumn("公开值" if zh else "Published", format="%g"),
        "unit": st.column_config.TextColumn("单位" if zh else "Unit"),
        "qualifier": st.column_config.TextColumn("限定" if zh else "Qualifier"),
        "period": st.column_config.TextColumn("期间" if zh else "Period"),
        "calibrated": st.column_config.CheckboxColumn("已校准" if zh else "Calibrated"),
        "warehouse_value": st.column_config.NumberColumn("仓库值" if zh else "Warehouse", format="%.2f"),
        "status": st.column_config.TextColumn("核对" if zh else "Check"),
        "quote": st.column_config.TextColumn("原文引语" if zh else "Quote", width="large"),
    })
st.caption(f"共 {view.height} 条。比较规则:精确数字按公开值的小数位四舍五入后比较;“余”“以上”要求仓库值不低于公开值;"
           "多年期间的“以上”比较其中最低的一年。" if zh else
           f"{view.height} rows. Exact figures are compared at their published precision; 余/以上 require at least "
           "the figure; a multi-year 以上 is compared with its lowest year.")
frame.downloads(view.select(cols), "公开数据来源", lang, key="sources")
