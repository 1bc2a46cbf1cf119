"""The page query cache: keyed by snapshot, no time to live, bounded (LRU), one run per key at a time."""
from __future__ import annotations

import threading
import time

import pytest

from pingan import config, queries, warehouse


@pytest.fixture()
def counted(warehouse_built, monkeypatch):
    """Count the queries that reach the engine; start from an empty cache."""
    calls = []
    real = queries._execute

    def execute(q, params, engine):
        calls.append(q.name)
        return real(q, params, engine)

    monkeypatch.setattr(queries, "_execute", execute)
    queries.clear_cache()
    yield calls
    queries.clear_cache()


def test_there_is_no_time_to_live_setting():
    with pytest.raises(KeyError):
        config.setting("query_cache_ttl_s")


def test_a_warm_result_is_served_however_long_ago_it_was_computed(counted, monkeypatch):
    first = queries.run("meta_indicators")
    later = time.monotonic() + 10 * 365 * 86400  # ten years on, same snapshot
    monkeypatch.setattr(queries.time, "monotonic", lambda: later)
    again = queries.run("meta_indicators")
    assert again is first
    assert counted == ["meta_indicators"]


def test_another_snapshot_is_queried_again(counted, monkeypatch):
    queries.run("meta_indicators")
    monkeypatch.setattr(warehouse, "snapshot_id", lambda: "snap-another.duckdb")
    queries.run("meta_indicators")
    assert counted == ["meta_indicators", "meta_indicators"]


def test_the_cache_stays_bounded_least_recently_used_first(counted, monkeypatch):
    monkeypatch.setattr(queries, "_CACHE_MAX", 3)
    for year in (2018, 2019, 2020):
        queries.run("grid_summary", region="640000", year=year)
    queries.run("grid_summary", region="640000", year=2018)   # used again: now the most recent
    queries.run("grid_summary", region="640000", year=2021)   # evicts 2019, the least recently used
    assert len(queries._cache) == 3
    queries.run("grid_summary", region="640000", year=2018)
    assert len(counted) == 4
    queries.run("grid_summary", region="640000", year=2019)
    assert len(counted) == 5


def test_concurrent_callers_of_one_key_run_it_once(counted, monkeypatch):
    real = queries._execute
    runs = []

    def slow(q, params, engine):
        runs.append(q.name)
        time.sleep(0.3)
        return real(q, params, engine)

    monkeypatch.setattr(queries, "_execute", slow)
    results = []
    threads = [threading.Thread(target=lambda: results.append(queries.run("meta_indicators"))) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(10)
    assert len(results) == 4 and all(r is results[0] for r in results)
    assert runs == ["meta_indicators"]
    assert not queries._inflight


def test_a_failed_run_is_not_cached_and_does_not_block_the_next(counted, monkeypatch):
    real = queries._execute
    fail = {"once": True}

    def flaky(q, params, engine):
        if fail.pop("once", False):
            raise RuntimeError("engine unavailable")
        return real(q, params, engine)

    monkeypatch.setattr(queries, "_execute", flaky)
    with pytest.raises(RuntimeError):
        queries.run("meta_indicators")
    assert not queries._inflight and not queries._cache
    assert queries.run("meta_indicators").height > 0


def test_run_many_gives_what_run_gives_in_order_and_caches(counted):
    from datetime import date

    calls = [("disputes_summary", dict(region=r, start=date(2022, 1, 1), end=date(2022, 12, 31)))
             for r in ("", "530000", "532900", "532901")] + [("meta_indicators", {})]
    many = queries.run_many(calls)
    assert sorted(counted) == sorted(name for name, _ in calls)
    for (name, params), df in zip(calls, many):
        assert queries.run(name, **params) is df  # served from the cache, in the order asked
    assert len(counted) == len(calls)


def test_run_many_checks_the_account_scope_in_the_callers_thread(counted):
    """Workers run outside the session: the scope is applied before they start, from the caller's account."""
    from datetime import date

    from pingan import auth

    seen = threading.local()
    auth.set_provider(lambda: getattr(seen, "account", None))
    try:
        seen.account = auth.Account("dali", "viewer", "532900")
        out = queries.run_many([("disputes_summary", dict(region="", start=date(2022, 1, 1), end=date(2022, 12, 31))),
                                ("meta_indicators", {})])
        dali = queries.run("disputes_summary", region="532900", start=date(2022, 1, 1), end=date(2022, 12, 31))
        assert out[0]["identified"][0] == dali["identified"][0]  # '' was pinned to the account's region
        with pytest.raises(queries.ScopeError):
            queries.run_many([("meta_indicators", {}),
                              ("disputes_summary", dict(region="530100", start=date(2022, 1, 1),
                                                        end=date(2022, 12, 31)))])
    finally:
        auth.set_provider(None)


def test_run_many_raises_the_first_failure(counted):
    with pytest.raises(queries.QueryError):
        queries.run_many([("meta_indicators", {}), ("no_such_query", {})])
