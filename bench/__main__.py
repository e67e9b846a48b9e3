"""Run every `bench/bench_*.py` module and write docs/benchmarks.md.

Each module exposes `run() -> str`, returning a Markdown section (a `## ` heading, the command,
what was measured and the figures, with the same-run baseline it is compared against). This
runner adds the machine, date and command so that every figure in the file says where it came from.
`python -m bench NAME ...` runs only the named modules (e.g. `indicators`) and rewrites just their
sections, keeping the others.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import platform
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "benchmarks.md"
_SECTION = re.compile(r"^<!-- bench:(\w+) -->$", re.MULTILINE)


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def _existing_sections() -> dict[str, str]:
    if not OUT.exists():
        return {}
    text = OUT.read_text()
    marks = list(_SECTION.finditer(text))
    sections: dict[str, str] = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        sections[m.group(1)] = text[m.end() : end].strip()
    return sections


def main(argv: list[str]) -> int:
    modules = Path(__file__).parent.glob("bench_*.py")
    available = sorted(p.stem.removeprefix("bench_") for p in modules)
    wanted = argv or available
    unknown = [w for w in wanted if w not in available]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}")
        return 2
    # As the launcher's entry point does: BLAS threads only spin on the launcher's small
    # matrices. Set before the benchmark modules (and numpy) are imported.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sections = _existing_sections()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    for name in wanted:
        print(f"== bench {name} ...", flush=True)
        module = importlib.import_module(f"bench.bench_{name}")
        body = module.run()
        sections[name] = f"_Run {stamp} on {_machine()}; command: `make bench` "
        sections[name] += f"(or `python -m bench {name}`)._\n\n{body.strip()}"
        print(body, flush=True)
    header = (
        "# Benchmarks\n\n"
        "Every figure below was produced by `make bench` (the `bench/` folder) on the machine "
        "named in its section. These machines are shared and noisy: compare ratios measured in "
        "the same run, not absolute figures across runs.\n"
    )
    parts = [header] + [f"<!-- bench:{k} -->\n{sections[k]}\n" for k in sorted(sections)]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(parts))
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
