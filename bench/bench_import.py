"""``import app``: the CPU every ``flask`` command and every gunicorn master pays before it does anything.

    .venv/bin/python bench/bench_import.py [--rounds 12] [--against DIR]

Runs ``python -c "import app"`` in fresh processes and reports the CPU seconds (user + system, from
``getrusage`` of the children: it moves less than wall time with other load on the machine) and the load
average. ``--against DIR`` (a checkout of another commit, e.g. ``git archive main | tar -x -C DIR``) runs the
same command there in alternation, so both see the same load. Writes bench/results/import_app.json.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._machine import write_result  # noqa: E402


def import_cpu_seconds(folder: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", "import app"], cwd=folder, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--against", type=Path, help="another checkout, measured in alternation")
    args = parser.parse_args()
    folders = {"this": ROOT} | ({"against": args.against.resolve()} if args.against else {})
    runs: dict[str, list[float]] = {name: [] for name in folders}
    load_before = os.getloadavg()[0]
    for _ in range(args.rounds):
        for name, folder in folders.items():
            runs[name].append(round(import_cpu_seconds(folder), 4))
    data = {
        "what": "python -c 'import app', CPU seconds (user + system) per fresh process",
        "load_average_1min_before": load_before,
        "load_average_1min_after": os.getloadavg()[0],
        **{
            name: {"runs": values, "min": min(values), "median": statistics.median(values)}
            for name, values in runs.items()
        },
    }
    # the other checkout's folder is a path of this machine: the result names only its role
    argv = ["bench/bench_import.py", "--rounds", str(args.rounds)] + (
        ["--against", "<other checkout>"] if args.against else []
    )
    data["machine"] = {"argv": argv}
    path = write_result("import_app", data)
    print(
        {
            name: {k: v for k, v in value.items() if k != "runs"}
            for name, value in data.items()
            if name in runs
        }
    )
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
