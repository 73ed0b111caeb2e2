#!/usr/bin/env python3
"""Benchmark: alicloud.ecs.ecs_instance side by side with Alibaba's old ali_instance module (issue 14, point 6).

The old module is ansible-alicloud 1.20.0's ``ali_instance`` on footmark 1.26.0, installed by
``make venv-old-alicloud`` into ``.venv-old-alicloud`` (Python 3.11, ansible-core 2.16; see
bench/requirements-old-alicloud.txt).  Both run through ``ansible-playbook`` against two emulators
with the same settings (Pending 2 s, Starting 3 s, Stopping 2 s, as bench/run.py), one operation
of ours then the same operation of theirs, so both see the same machine load:

| operation | ecs_instance (bench/playbooks/ecs_instance.yml) | ali_instance (bench/playbooks/ali_instance.yml) |
|---|---|---|
| create | ``state: running``, ``count: N`` | ``state: present``, ``count: N`` (it has no create-and-start-and-wait) |
| re-run | the same task again | the same task again |
| stop | ``state: stopped`` | ``state: stopped`` |
| start | ``state: running`` | ``state: running`` |
| delete | ``state: absent``, ``force_release: true`` | ``state: absent``, ``force: true`` |

For each N (1, 10, 100) and operation it prints the wall time of both, the API calls of both (the
emulators' call logs), the ratios (ali_instance / ecs_instance: above 1 means ecs_instance is faster
or makes fewer calls) and what each left behind when its task returned: every instance in the
wanted state (Running, Stopped, or gone), read from the emulator's truth at that moment.

The old module needs workarounds to work at all (bench/README.md "The old modules"): ``count_tag``,
``user_data: ""``, ``force`` to delete running instances, and ``HTTP_PROXY`` to reach the emulator
(footmark builds a bare AcsClient per call and has no endpoint option).  Writes
bench/results/old_modules.json.  ``--quick``: N = 1 and 10.  Exit status 1 if ecs_instance failed a
task or did not reach the wanted state.  Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (  # noqa: E402
    BENCH, RESULTS, ROOT, Emulator, ansible_env, count_calls, install_collection, log, playbook_command, recap,
    verdict,
)

REGION = "cn-beijing"
DELAYS = {"Pending": 2.0, "Starting": 3.0, "Stopping": 2.0}
PLAYBOOKS = BENCH / "playbooks"
# (operation, our state and extra vars, their state and extra vars, what every instance must be afterwards)
OPERATIONS = [
    ("create", ("running", {}), ("present", {}), "Running"),
    ("re-run", ("running", {}), ("present", {}), "Running"),
    ("stop", ("stopped", {}), ("stopped", {}), "Stopped"),
    ("start", ("running", {}), ("running", {}), "Running"),
    ("delete", ("absent", {"bench_force_release": True}), ("absent", {"bench_force": True}), None),
]


class Side:
    """One module, its ansible-playbook, its emulator."""

    def __init__(self, label: str, emu: Emulator, playbook: Path, python: str, bindir: Path, env: dict[str, str],
                 cwd: Path) -> None:
        self.label, self.emu, self.playbook, self.python, self.bindir, self.env, self.cwd = (
            label, emu, playbook, python, bindir, env, cwd)

    def run(self, playbook: Path, extra_vars: dict[str, Any]) -> tuple[float, subprocess.CompletedProcess]:
        cmd = playbook_command(playbook, self.python, extra_vars, self.bindir)
        started = time.monotonic()
        proc = subprocess.run(cmd, env=self.env, cwd=self.cwd, capture_output=True, text=True, timeout=1800)
        return time.monotonic() - started, proc

    def startup(self, times: int = 3) -> float:
        walls = []
        for _ in range(times):
            wall, proc = self.run(PLAYBOOKS / "empty.yml", {})
            if proc.returncode != 0:
                raise SystemExit(f"{self.label}: the empty playbook failed:\n{proc.stdout}{proc.stderr}")
            walls.append(wall)
        return round(statistics.median(walls), 3)

    def operation(self, name: str, count: int, state: str, extra: dict[str, Any], wanted: str | None) -> dict[str, Any]:
        self.emu.clear_calls()
        wall, proc = self.run(self.playbook, dict(bench_name=name, bench_count=count, bench_state=state,
                                                  bench_region=REGION, **extra))
        mine = [i for i in self.emu.instances() if i.get("InstanceName") == name]  # the truth, right after the task
        statuses: dict[str, int] = {}
        for inst in mine:
            statuses[inst["Status"]] = statuses.get(inst["Status"], 0) + 1
        reached = (not mine) if wanted is None else (len(mine) == count and statuses == {wanted: count})
        counted = count_calls(self.emu.calls())
        summary = recap(proc.stdout)
        return {"wall_s": round(wall, 2), "rc": proc.returncode, "recap": summary,
                "failed": proc.returncode != 0 or summary.get("failed", 1) != 0,
                "calls": counted["total"], "by_action": counted["by_action"], "errors": counted["errors"],
                "statuses": statuses, "reached": reached,
                "output": "" if proc.returncode == 0 else (proc.stdout + proc.stderr)[-1500:]}


def state_text(row: dict[str, Any], wanted: str | None) -> str:
    if row["failed"]:
        return "task FAILED"
    if wanted is None:
        return "gone" if row["reached"] else "still there: " + ", ".join(f"{n} {s}" for s, n in row["statuses"].items())
    shown = ", ".join(f"{n} {s}" for s, n in sorted(row["statuses"].items())) or "none"
    return ("yes" if row["reached"] else "no") + f" ({shown})"


def ratio(theirs: float, ours: float) -> float | None:
    return round(theirs / ours, 2) if ours else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100", help="instance counts (default 1,10,100)")
    parser.add_argument("--quick", action="store_true", help="N = 1 and 10")
    parser.add_argument("--old-venv", type=Path, default=ROOT / ".venv-old-alicloud",
                        help="virtual environment of the old modules (make venv-old-alicloud)")
    parser.add_argument("--collections-path", help="an installed collections path instead of building one")
    parser.add_argument("--json", type=Path, default=RESULTS / "old_modules.json")
    args = parser.parse_args()
    sizes = [int(x) for x in ("1,10" if args.quick else args.sizes).split(",") if x.strip()]
    old_venv = args.old_venv.resolve()
    library = old_venv / "ansible-alicloud" / "ansible" / "modules" / "cloud" / "alicloud"
    if not (library / "ali_instance.py").exists():
        raise SystemExit(f"{library}/ali_instance.py not found: run make venv-old-alicloud first")

    meta: dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "sizes": sizes,
                            "delays": DELAYS, "load_start": list(os.getloadavg()), "cpus": os.cpu_count()}
    rows: list[dict[str, Any]] = []
    delays = "%g,%g,%g" % (DELAYS["Pending"], DELAYS["Starting"], DELAYS["Stopping"])
    with tempfile.TemporaryDirectory(prefix="alicloud-old-bench-") as tmp:
        work = Path(tmp)
        if args.collections_path:
            collections_path = Path(args.collections_path)
        else:
            log("old modules bench", "building and installing the collection")
            collections_path = install_collection(work)
        with Emulator("--quiet", "--delays", delays) as ours_emu, Emulator("--quiet", "--delays", delays) as old_emu:
            ours = Side("ecs_instance", ours_emu, PLAYBOOKS / "ecs_instance.yml", sys.executable, Path(sys.executable).parent,
                        ansible_env(ours_emu, REGION, work / "home-ours", collections_path), work)
            old_env = ansible_env(old_emu, REGION, work / "home-old", work / "no-collections", extra={
                "ANSIBLE_LIBRARY": str(library),
                "ANSIBLE_MODULE_UTILS": str(old_venv / "ansible-alicloud" / "ansible" / "module_utils"),
                # footmark has no endpoint option: the old SDK sends its plain-HTTP requests through the proxy,
                # and the emulator answers absolute-form targets (emulator/README.md "Quick start").
                "HTTP_PROXY": old_emu.endpoint,
            })
            theirs = Side("ali_instance", old_emu, PLAYBOOKS / "ali_instance.yml", str(old_venv / "bin" / "python"),
                          old_venv / "bin", old_env, work)
            theirs.run(PLAYBOOKS / "empty.yml", {})  # warm the file caches
            ours.run(PLAYBOOKS / "empty.yml", {})
            meta["startup_s"] = {"ecs_instance": ours.startup(), "ali_instance": theirs.startup()}
            versions = subprocess.run([str(old_venv / "bin" / "ansible-playbook"), "--version"], capture_output=True,
                                      text=True).stdout.splitlines()[:1]
            meta["old_ansible"] = versions[0] if versions else ""
            for n in sizes:
                uid = uuid.uuid4().hex[:6]
                names = {"ours": f"side-new-{n}-{uid}", "theirs": f"side-old-{n}-{uid}"}
                for op, (our_state, our_extra), (their_state, their_extra), wanted in OPERATIONS:
                    mine = ours.operation(names["ours"], n, our_state, our_extra, wanted)
                    other = theirs.operation(names["theirs"], n, their_state, their_extra, wanted)
                    startup = meta["startup_s"]
                    row = {"n": n, "op": op, "wanted": wanted, "ecs_instance": mine, "ali_instance": other,
                           "time_ratio": ratio(other["wall_s"], mine["wall_s"]),
                           "task_time_ratio": ratio(max(0.0, other["wall_s"] - startup["ali_instance"]),
                                                    max(0.01, mine["wall_s"] - startup["ecs_instance"])),
                           "calls_ratio": ratio(other["calls"], mine["calls"])}
                    rows.append(row)
                    log("old modules bench", f"N={n} {op}: ecs_instance {mine['wall_s']} s {mine['calls']} calls "
                        f"{state_text(mine, wanted)}; ali_instance {other['wall_s']} s {other['calls']} calls "
                        f"{state_text(other, wanted)}")
    meta["load_end"] = list(os.getloadavg())

    ours_ok = [r for r in rows if not r["ecs_instance"]["failed"] and r["ecs_instance"]["reached"]]
    slower = [f"N={r['n']} {r['op']}" for r in rows if (r["time_ratio"] or 0) < 1]
    more_calls = [f"N={r['n']} {r['op']}" for r in rows if (r["calls_ratio"] or 0) < 1]
    targets = [
        {"target": "ecs_instance: every task succeeds and leaves every instance in the wanted state",
         "value": f"{len(ours_ok)} of {len(rows)} operations", "met": len(ours_ok) == len(rows)},
        {"target": "ecs_instance no slower than ali_instance (time ratio >= 1 for every operation)",
         "value": "slower at " + ", ".join(slower) if slower else "faster or equal everywhere", "met": not slower},
        {"target": "ecs_instance makes no more API calls than ali_instance (calls ratio >= 1 for every operation)",
         "value": "more calls at " + ", ".join(more_calls) if more_calls else "fewer or equal everywhere",
         "met": not more_calls},
    ]
    their_running = [r for r in rows if r["wanted"] and r["ali_instance"]["reached"] and not r["ali_instance"]["failed"]]
    waited = [r for r in rows if r["wanted"]]
    result = {"meta": meta, "rows": rows, "targets": targets}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")

    print("### ecs_instance side by side with the old ali_instance (ansible-alicloud 1.20.0, footmark 1.26.0)\n")
    print(f"Same emulator settings for both (Pending {DELAYS['Pending']:g} s, Starting {DELAYS['Starting']:g} s, "
          f"Stopping {DELAYS['Stopping']:g} s), one operation of each in turn.  ansible-playbook startup (empty "
          f"playbook): ecs_instance's stack {meta['startup_s']['ecs_instance']} s, the old stack "
          f"({meta['old_ansible']}, Python 3.11) {meta['startup_s']['ali_instance']} s.  Load average "
          f"{meta['load_start'][0]:.2f} -> {meta['load_end'][0]:.2f}.\n")
    print("| N | operation | ecs_instance s | ali_instance s | time ratio (task) | ecs_instance calls | ali_instance calls "
          "| calls ratio | ecs_instance reached | ali_instance reached |")
    print("|---:|---|---:|---:|---|---:|---:|---:|---|---|")
    for r in rows:
        a, b = r["ecs_instance"], r["ali_instance"]
        print(f"| {r['n']} | {r['op']} | {a['wall_s']} | {b['wall_s']} | {r['time_ratio']}x ({r['task_time_ratio']}x) | {a['calls']} | "
              f"{b['calls']} | {r['calls_ratio']}x | {state_text(a, r['wanted'])} | {state_text(b, r['wanted'])} |")
    print("\nRatios are ali_instance / ecs_instance (above 1: ecs_instance is faster, or makes fewer calls); "
          "\"task\": each wall time less its own stack's ansible-playbook startup.  "
          "\"reached\": every instance in the wanted state (Running after create, re-run and start, Stopped after "
          "stop, gone after delete) when the task returned, from the emulator's own state.  ali_instance reached it "
          f"in {len(their_running)} of {len(waited)} waited operations.\n")
    print("Calls by action (ecs_instance | ali_instance):\n")
    for r in rows:
        short = lambda calls: " ".join(f"{k} {v}" for k, v in calls.items()) or "-"  # noqa: E731
        print(f"- N={r['n']} {r['op']}: {short(r['ecs_instance']['by_action'])} | {short(r['ali_instance']['by_action'])}")
    print("\n| target | value | |")
    print("|---|---|---|")
    for t in targets:
        print(f"| {t['target']} | {t['value']} | {verdict(t['met'])} |")
    print(f"\nwritten to {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json}")
    return 0 if targets[0]["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
