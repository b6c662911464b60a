"""The benchmark's output on the terminal: the table's header, one row per
publish step, and a summary line per scenario."""

HEADER = (f"{'scenario':<8} {'rate/s':>7} {'deliv/s':>9} {'p50 ms':>8} "
          f"{'p90 ms':>8} {'p99 ms':>8} {'p99.9':>8} {'max ms':>8} "
          f"{'lost':>6} {'CPUs/M':>7} {'RSS MB':>7}")


def row(name, r):
    def f(v, w, p=2):
        return f"{v:>{w}.{p}f}" if isinstance(v, (int, float)) else \
            f"{'-':>{w}}"
    print(f"{name:<8} {r['rate']:>7} {r['deliveries_per_s']:>9.0f} "
          f"{f(r['p50_ms'], 8)} {f(r['p90_ms'], 8)} {f(r['p99_ms'], 8)} "
          f"{f(r['p999_ms'], 8)} {f(r['max_ms'], 8)} {r['lost']:>6} "
          f"{f(r['cpu_s_per_million'], 7)} {r['gateway_rss_mb']:>7.1f}",
          flush=True)


def summary(name, res, p99_limit_ms):
    """The line after a scenario's rows: clients connected, and where it
    stepped rates up, the knee (p99 <= `p99_limit_ms`) and the lossless
    throughput."""
    c = res["connect"]
    print(f"  {name}: {c['ready']}/{c['clients']} clients, connect "
          f"{c['connect_rate']:.0f}/s"
          + (f", knee (p99 <= {p99_limit_ms:.0f} ms) "
             f"{res['knee_deliveries_per_s']:.0f} deliveries/s"
             + (f" ({1e6 / res['knee_cpu_s_per_million']:.0f} per "
                f"gateway CPU s)" if res.get("knee_cpu_s_per_million")
                else "") + ", "
             f"lossless up to "
             f"{res['max_lossless_deliveries_per_s']:.0f}/s"
             if "knee_deliveries_per_s" in res else ""), flush=True)
