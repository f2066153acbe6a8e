"""Run every benchmark (``make bench``), each in its own process, and print their tables.

Results are also written as JSON and Markdown under ``bench/results/`` (not committed);
``docs/performance.md`` quotes a run with its date and machine.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
BENCHES = ["bench_intake.py", "bench_spam.py", "bench_plans.py", "bench_indicators.py", "bench_analytics.py", "bench_search.py", "bench_load.py"]


def main() -> int:
    RESULTS.mkdir(exist_ok=True)
    failed = []
    report = [f"# Benchmarks, {time.strftime('%Y-%m-%d %H:%M')} on {platform.machine()} with {os.cpu_count()} cores, Python {platform.python_version()}\n"]
    for name in BENCHES:
        out = RESULTS / (Path(name).stem + ".json")
        print(f"== {name}", flush=True)
        proc = subprocess.run([sys.executable, str(HERE / name), "--json", str(out)], text=True, capture_output=True)
        sys.stdout.write(proc.stdout)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr)
            failed.append(name)
        report.append(f"## {name}\n\n{proc.stdout}\n")
    (RESULTS / "latest.md").write_text("\n".join(report), encoding="utf-8")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"results in {RESULTS}/ (json, latest.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
