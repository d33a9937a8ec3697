"""The ingest and send benchmarks still run, at a tiny size (their figures are taken on demand
at full size; README "Benchmarks"). Each starts its own dev server, as a user's run would."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_bench(module: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_ingest_bench_runs_every_side_and_prints_the_ratios() -> None:
    out = run_bench(
        "bench.ingest_bench",
        "--rounds",
        "1",
        "--seconds",
        "1",
        "--concurrency",
        "2",
        "--server-core",
    )
    assert "dev server on CPU 0; the bench and the processes it starts on CPUs [1" in out, out
    for side in ("bare signal-with-start", "bare + search attributes", "POST /v1/events"):
        assert f"\n{side} " in out, out
    assert "ratio ours/bare: " in out and "ratio ours/bare with the same search attributes" in out
    # per s, p50, p99, then the CPU the dev server and the API spent per request
    *_, server_ms, api_ms = out.split("\nPOST /v1/events ")[1].split("\n")[0].split()
    assert float(server_ms) > 0 and float(api_ms) > 0, out


def test_the_send_bench_sends_every_message_and_prints_the_ratios() -> None:
    out = run_bench("bench.send_bench", "--rounds", "1", "--messages", "5", "--picks")
    assert "picks from the shipped model, checked against the demo catalog" in out, out
    assert "ledger {'sent': 5}" in out and "warning" not in out, out
    for side in ("one-send workflows completed", "welcome messages decided and delivered"):
        rate, ratio = out.split(f"\n{side} ")[1].split("\n")[0].split()
        assert float(rate) > 0 and float(ratio) > 0, out


def test_the_cold_start_bench_times_every_side_in_wall_and_cpu_time() -> None:
    # Compared with this very checkout: the side runs, whatever it measures.
    out = run_bench("bench.cold_start", "--runs", "1", "--compare", str(ROOT))
    for side in ("ours", "compared", "bare"):
        assert f"run 1 {side}: " in out and " s of CPU), RSS " in out, out
    for name in ("journeyctl worker", f"{ROOT}'s", "bare worker"):
        assert f"  {name}: " in out and "x), CPU " in out, out
