#!/usr/bin/env python3
"""Benchmark: API calls and time to converge, against the classic flow and the physical limit.

``make bench`` runs this file.  What it does (details in bench/README.md):

1. builds the collection tarball and installs it into a temporary collections
   path (as the integration tests do), so the modules run as users get them;
2. starts two emulators with the same fixed transition delays (Pending 2 s,
   Starting 3 s, Stopping 2 s): one for ``ansible-playbook``, one for the
   classic flow, so that their call logs stay apart;
3. in the background, runs the classic Alibaba flow (bench/classic_flow.py)
   for N = 1 and N = 10 instances (it is almost all ``time.sleep(10)``, so it
   costs no CPU next to the Ansible runs);
4. for N = 1, 10, 100: create-to-Running, idempotent re-run, stop, start,
   restart and delete, each one ``ansible-playbook`` run of one
   ``alicloud.ecs.ecs_instance`` task, timed from outside, with the API calls
   by action from the emulator's call log; the whole lifecycle ``--repeat``
   times (median reported); an empty playbook measures ansible-playbook startup;
5. prints a Markdown table and writes bench/results/bench.json.

``--quick``: N = 1 and 10, one repetition, classic flow for N = 1 only (N = 10
extrapolated).  Exit status 1 if an operation failed or did not converge.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
PLAYBOOKS = BENCH / "playbooks"
RESULTS = BENCH / "results"
sys.path.insert(0, str(ROOT))

from tests.helpers.emulator import DEFAULT_KEY, Emulator  # noqa: E402

BIN = Path(sys.executable).parent
REGION = "cn-beijing"
DELAYS = {"Pending": 2.0, "Starting": 3.0, "Stopping": 2.0}
MUTATING = {
    "RunInstances", "CreateInstance", "StartInstances", "StopInstances", "RebootInstances", "DeleteInstances",
    "StartInstance", "StopInstance", "RebootInstance", "DeleteInstance", "ModifyInstanceAttribute",
    "TagResources", "UntagResources", "ModifyInstanceChargeType", "AllocatePublicIpAddress",
}
# (row name, state, extra vars, floor in seconds, status every instance must have afterwards or None = gone)
OPERATIONS = [
    ("create", "running", {}, DELAYS["Pending"] + DELAYS["Starting"], "Running"),
    ("re-run", "running", {}, 0.0, "Running"),
    ("stop", "stopped", {}, DELAYS["Stopping"], "Stopped"),
    ("start", "running", {}, DELAYS["Starting"], "Running"),
    ("restart", "restarted", {}, DELAYS["Starting"], "Running"),
    ("delete", "absent", {"bench_force_release": True}, 0.0, None),
]
FLOORS = {name: floor for name, _, _, floor, _ in OPERATIONS}
SHORT = {"DescribeInstances": "Describe", "RunInstances": "Run", "StopInstances": "Stop", "StartInstances": "Start",
         "RebootInstances": "Reboot", "DeleteInstances": "Delete", "CreateInstance": "Create",
         "StartInstance": "Start1", "AllocatePublicIpAddress": "AllocIP"}


def tool(name: str) -> str:
    return str(BIN / name) if (BIN / name).exists() else name


def log(message: str) -> None:
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), message), file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- setup

def install_collection(work: Path) -> Path:
    """Build the tarball from the working tree and install it, like tests/integration/conftest.py."""
    build = [tool("ansible-galaxy"), "collection", "build", "--force", "--output-path", str(work), str(ROOT)]
    subprocess.run(build, check=True, capture_output=True, text=True)
    tarball = next(work.glob("alicloud-ecs-*.tar.gz"))
    target = work / "collections"
    install = [tool("ansible-galaxy"), "collection", "install", "--force", "-p", str(target), str(tarball)]
    subprocess.run(install, check=True, capture_output=True, text=True)
    return target


class Playbooks:
    """Runs ansible-playbook against the installed collection and one emulator."""

    def __init__(self, collections_path: Path, emu: Emulator, workdir: Path) -> None:
        self.emu, self.workdir = emu, workdir
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ALICLOUD_", "ALIBABA_CLOUD_", "ANSIBLE_"))}
        env.update(
            ANSIBLE_COLLECTIONS_PATH=str(collections_path),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_RETRY_FILES_ENABLED="0",
            ANSIBLE_LOCALHOST_WARNING="0",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
            ALICLOUD_ECS_ENDPOINT=emu.endpoint,
            ALICLOUD_REGION=REGION,
            ALICLOUD_ACCESS_KEY=DEFAULT_KEY[0],
            ALICLOUD_SECRET_KEY=DEFAULT_KEY[1],
            ALICLOUD_CONFIG_FILE=str(workdir / "no-such-config.json"),
            HOME=str(workdir),
        )
        self.env = env

    def run(self, playbook: str, extra_vars: dict[str, Any] | None = None) -> tuple[float, float, subprocess.CompletedProcess]:
        """(wall seconds, epoch start, process) of one ansible-playbook run; ``self.cpu`` = its CPU seconds."""
        cmd = [tool("ansible-playbook"), "-i", "localhost,", "-c", "local", str(PLAYBOOKS / playbook)]
        cmd += ["-e", json.dumps({"ansible_python_interpreter": sys.executable, **(extra_vars or {})})]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started_epoch = time.time()
        started = time.monotonic()
        proc = subprocess.run(cmd, env=self.env, capture_output=True, text=True, cwd=self.workdir, timeout=900)
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # Children's CPU (ansible-playbook, its workers and the module): steadier than wall time on a busy machine.
        self.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return wall, started_epoch, proc

    def baseline(self, playbook: str, times: int) -> dict[str, Any]:
        """Median wall and CPU of ``times`` runs of a playbook without ecs_instance tasks."""
        walls, cpus = [], []
        for _ in range(times):
            wall, _started, proc = self.run(playbook)
            if proc.returncode != 0:
                raise SystemExit("%s failed:\n%s%s" % (playbook, proc.stdout, proc.stderr))
            walls.append(wall)
            cpus.append(self.cpu)
        return {"wall_s": round(statistics.median(walls), 3), "cpu_s": round(statistics.median(cpus), 3),
                "samples_s": [round(w, 3) for w in walls]}


def recap_changed(stdout: str) -> int | None:
    for line in stdout.splitlines():
        if line.startswith("localhost") and "changed=" in line:
            return int(line.split("changed=")[1].split()[0])
    return None


# --------------------------------------------------------------------------- classic flow

class ClassicRunner:
    """Runs bench/classic_flow.py for each N in parallel processes, in the background."""

    def __init__(self, emu: Emulator, sizes: list[int], workdir: Path) -> None:
        self.emu, self.sizes, self.workdir = emu, sizes, workdir
        self.results: dict[int, dict] = {}
        self.errors: dict[int, str] = {}
        self.threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in sizes]

    def start(self) -> "ClassicRunner":
        for thread in self.threads:
            thread.start()
        return self

    def _run(self, n: int) -> None:
        out = self.workdir / ("classic-%d.json" % n)
        cmd = [sys.executable, str(BENCH / "classic_flow.py"), "--endpoint", self.emu.hostport, "--count", str(n),
               "--json", str(out), "--log", str(self.workdir / ("classic-%d.log" % n))]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60 * 60)
        if proc.returncode != 0 or not out.exists():
            self.errors[n] = (proc.stdout + proc.stderr)[-2000:]
            return
        result = json.loads(out.read_text())
        self.results[n] = result

    def join(self) -> None:
        for thread in self.threads:
            thread.join()


def classic_rows(runner: ClassicRunner, calls: list[dict], sizes: list[int]) -> dict[int, dict]:
    """Measured rows for runner.sizes; the other sizes extrapolated linearly from the largest measured N."""
    rows: dict[int, dict] = {}
    by_id: dict[str, list[dict]] = collections.defaultdict(list)
    for call in calls:
        params = call.get("parameters") or {}
        instance = params.get("InstanceId") or _single_id(params.get("InstanceIds"))
        by_id[instance or ""].append(call)
    for n, result in sorted(runner.results.items()):
        counts: collections.Counter = collections.Counter()
        for instance_id in result["instance_ids"]:
            counts.update(c["action"] for c in by_id.get(instance_id, []))
        counts["CreateInstance"] += len(result["instance_ids"])  # the create has no InstanceId parameter
        rows[n] = {"n": n, "wall_s": result["wall_s"], "measured": True, "calls": dict(sorted(counts.items())),
                   "per_instance_s": result["per_instance_s"]}
    if rows:
        base = rows[max(rows)]
        for n in sizes:
            if n not in rows:
                per = base["wall_s"] / base["n"]
                rows[n] = {"n": n, "wall_s": round(per * n, 1), "measured": False,
                           "calls": {k: round(v * n / base["n"]) for k, v in base["calls"].items()},
                           "extrapolated_from": base["n"]}
    return rows


def _single_id(value: Any) -> str | None:
    try:
        ids = json.loads(value) if value else []
    except ValueError:
        return None
    return ids[0] if len(ids) == 1 else None


# --------------------------------------------------------------------------- Ansible lifecycle

def run_lifecycle(books: Playbooks, emu: Emulator, n: int, rep: int) -> list[dict]:
    name = "bench-%d-%d-%s" % (n, rep, uuid.uuid4().hex[:6])
    rows = []
    for op, state, extra, floor, expected in OPERATIONS:
        emu.clear_calls()
        wall, started, proc = books.run("ecs_instance.yml", dict(bench_name=name, bench_count=n, bench_state=state, **extra))
        calls = emu.calls()
        ended = started + wall
        mine = [i for i in emu.instances() if i.get("InstanceName") == name]
        problems = []
        if proc.returncode != 0:
            problems.append("ansible-playbook exited %d: %s" % (proc.returncode, (proc.stdout + proc.stderr)[-1500:]))
        if expected is None and mine:
            problems.append("%d instance(s) still listed" % len(mine))
        if expected is not None and (len(mine) != n or any(i.get("Status") != expected for i in mine)):
            problems.append("expected %d %s, found %s" % (n, expected, collections.Counter(i.get("Status") for i in mine)))
        changed = recap_changed(proc.stdout)
        if op == "re-run" and changed != 0:
            problems.append("re-run reported changed=%s" % changed)
        counts = collections.Counter(c["action"] for c in calls)
        stamps = sorted(c["timestamp"] for c in calls)
        waits = wait_figures(op, calls, n)
        row = {
            "n": n, "rep": rep, "op": op, "state": state, "wall_s": round(wall, 3), "cpu_s": round(books.cpu, 3),
            "floor_s": floor,
            "calls": dict(sorted(counts.items())), "total_calls": len(calls),
            "mutating_calls": sum(v for k, v in counts.items() if k in MUTATING),
            "errors": sum(1 for c in calls if c.get("code")),
            "first_call_after_s": round(stamps[0] - started, 3) if stamps else None,
            "api_span_s": round(stamps[-1] - stamps[0], 3) if stamps else None,
            "after_last_call_s": round(ended - stamps[-1], 3) if stamps else None,
            "changed": changed, "ok": not problems, "problems": problems, **waits,
            # Every call as [seconds after ansible-playbook started, action, error code or null, DryRun].
            "timeline": [[round(c["timestamp"] - started, 3), c["action"], c.get("code"), _dry(c)] for c in calls],
        }
        rows.append(row)
        log("N=%-3d rep %d %-7s %6.2fs  %s%s" % (n, rep, op, wall, _calls_text(row["calls"]),
                                                 "" if row["ok"] else "  FAILED: " + "; ".join(problems)[:300]))
        if proc.returncode != 0:
            break
    return rows


ROUND_GAP = 0.25  # DescribeInstances closer together than this belong to one polling round (100 ids per call)
# When the instances arrive after the action that started the transition: the emulator's fixed delays.
ARRIVAL = {"create": ("RunInstances", DELAYS["Pending"] + DELAYS["Starting"]),
           "stop": ("StopInstances", DELAYS["Stopping"]), "start": ("StartInstances", DELAYS["Starting"])}


def _dry(call: dict) -> bool:
    return str(call["parameters"].get("DryRun", "")).lower() == "true"


def wait_figures(op: str, calls: list[dict], n: int) -> dict[str, Any]:
    """How the run waited, from the call log: polling rounds (consecutive DescribeInstances less than
    ROUND_GAP apart with no other call between), reads repeated back to back (a round of more calls than 100 ids need), real
    (non-DryRun) calls per action, and how long after the instances arrived the last poll came."""
    reads = sorted(c["timestamp"] for c in calls if c["action"] == "DescribeInstances")
    rounds: list[list[float]] = []
    after_other = True  # a round ends at any other call: the listing before a batch action is not a poll after it
    for call in sorted(calls, key=lambda c: c["timestamp"]):
        if call["action"] != "DescribeInstances":
            after_other = True
            continue
        stamp = call["timestamp"]
        if rounds and not after_other and stamp - rounds[-1][-1] < ROUND_GAP:
            rounds[-1].append(stamp)
        else:
            rounds.append([stamp])
        after_other = False
    per_round = -(-n // 100)
    figures: dict[str, Any] = {
        "real_calls": dict(sorted(collections.Counter(c["action"] for c in calls if not _dry(c)).items())),
        "poll_rounds": len(rounds), "max_round_calls": max((len(r) for r in rounds), default=0),
        "back_to_back_reads": sum(max(0, len(r) - per_round) for r in rounds),
        "arrival_lag_s": None, "arrival_span_s": None,
    }
    if op in ARRIVAL and reads:
        action, delay = ARRIVAL[op]
        acted = [c["timestamp"] for c in calls if c["action"] == action and not _dry(c)]
        if acted:
            figures["arrival_lag_s"] = round(reads[-1] - (max(acted) + delay), 3)
            figures["arrival_span_s"] = round(reads[-1] - min(acted), 3)
    return figures


def _calls_text(calls: dict[str, int]) -> str:
    return " ".join("%s %d" % (SHORT.get(k, k), v) for k, v in sorted(calls.items(), key=lambda kv: kv[0] != "DescribeInstances")) or "-"


def summarize(runs: list[dict], startup: float, classic: dict[int, dict]) -> list[dict]:
    """One row per (N, operation): medians over repetitions."""
    grouped: dict[tuple[int, str], list[dict]] = collections.defaultdict(list)
    for row in runs:
        grouped[(row["n"], row["op"])].append(row)
    order = {name: index for index, (name, *_rest) in enumerate(OPERATIONS)}
    table = []
    for (n, op), rows in sorted(grouped.items(), key=lambda item: (item[0][0], order[item[0][1]])):
        wall = statistics.median(r["wall_s"] for r in rows)
        floor = FLOORS[op]
        actions = sorted({a for r in rows for a in r["calls"]})
        calls = {a: statistics.median(r["calls"].get(a, 0) for r in rows) for a in actions}
        total = statistics.median(r["total_calls"] for r in rows)
        entry = {
            "n": n, "op": op, "reps": len(rows), "wall_s": round(wall, 2),
            "wall_min_s": round(min(r["wall_s"] for r in rows), 2), "wall_max_s": round(max(r["wall_s"] for r in rows), 2),
            "cpu_s": _median(rows, "cpu_s"),
            "floor_s": floor, "task_s": round(wall - startup, 2),
            "ratio_to_floor": round(wall / floor, 2) if floor else None,
            "task_ratio_to_floor": round((wall - startup) / floor, 2) if floor else None,
            "overhead_s": round(wall - floor, 2),
            "calls": {a: _num(v) for a, v in calls.items()}, "total_calls": _num(total),
            "calls_per_instance": round(total / n, 2),
            "mutating_calls": _num(statistics.median(r["mutating_calls"] for r in rows)),
            "first_call_after_s": _median(rows, "first_call_after_s"),
            "api_span_s": _median(rows, "api_span_s"),
            "after_last_call_s": _median(rows, "after_last_call_s"),
            "real_calls": {a: _num(statistics.median(r["real_calls"].get(a, 0) for r in rows))
                           for a in sorted({a for r in rows for a in r["real_calls"]})},
            "max_round_calls": max(r["max_round_calls"] for r in rows),
            "back_to_back_reads": max(r["back_to_back_reads"] for r in rows),
            "arrival_lag_s": _median(rows, "arrival_lag_s"),
            "arrival_span_s": _median(rows, "arrival_span_s"),
            "ok": all(r["ok"] for r in rows),
        }
        if op == "create" and n in classic:
            entry["classic_wall_s"] = classic[n]["wall_s"]
            entry["classic_measured"] = classic[n]["measured"]
            entry["speedup_vs_classic"] = round(classic[n]["wall_s"] / wall, 1)
        table.append(entry)
    return table


def _median(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if r[key] is not None]
    return round(statistics.median(values), 3) if values else None


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


# --------------------------------------------------------------------------- report

def markdown(table: list[dict], classic: dict[int, dict], baselines: dict[str, dict], meta: dict) -> str:
    startup, ping = baselines["empty"]["wall_s"], baselines["ping"]["wall_s"]
    lines = [
        "| N | operation | wall s | floor s | wall / floor | vs classic | API calls | calls / instance | CPU s |",
        "|---:|---|---:|---:|---|---|---|---:|---:|",
    ]
    for row in table:
        if row["ratio_to_floor"]:
            ratio = "%.2fx (task %.2fx)" % (row["ratio_to_floor"], row["task_ratio_to_floor"])
        else:
            ratio = "+%.2f s (task %+.2f s)" % (row["overhead_s"], row["task_s"])
        versus = ""
        if "speedup_vs_classic" in row:
            versus = "%.1fx faster (%.0f s%s)" % (row["speedup_vs_classic"], row["classic_wall_s"],
                                                 "" if row["classic_measured"] else ", extrapolated")
        lines.append("| %d | %s | %.2f | %g | %s | %s | %s | %.2f | %.2f |" % (
            row["n"], row["op"], row["wall_s"], row["floor_s"], ratio, versus, _calls_text(row["calls"]),
            row["calls_per_instance"], row["cpu_s"] or 0))
    for n, row in sorted(classic.items()):
        lines.append("| %d | classic flow: create to Running + public IP | %s | 5 | %.1fx | 1x | %s | %.2f | |" % (
            n, ("%.1f" % row["wall_s"]) + ("" if row["measured"] else " (extrapolated)"), row["wall_s"] / 5.0,
            _calls_text(row["calls"]), sum(row["calls"].values()) / n))
    biggest = max((r["n"] for r in table), default=None)
    lines += ["", "Where the time goes at N=%s (medians, seconds): ansible-playbook start to the first API call, "
              "first to last API call, last API call to exit." % biggest, "",
              "| operation | wall | before first call | API span | after last call | floor |", "|---|---:|---:|---:|---:|---:|"]
    for row in (r for r in table if r["n"] == biggest):
        lines.append("| %s | %.2f | %.2f | %.2f | %.2f | %g |" % (row["op"], row["wall_s"], row["first_call_after_s"] or 0,
                                                               row["api_span_s"] or 0, row["after_last_call_s"] or 0, row["floor_s"]))
    rerun = [r for r in table if r["op"] == "re-run"]
    lines += [
        "",
        "Floor: the emulator's transition time (Pending %(Pending)g s, Starting %(Starting)g s, Stopping %(Stopping)g s); "
        "re-run and delete have none, so they show the absolute overhead." % DELAYS,
        "Wall: one `ansible-playbook` run of one `alicloud.ecs.ecs_instance` task, median of %d. Task: wall minus "
        "ansible-playbook startup (empty playbook %.2f s). CPU: ansible-playbook + module processes." % (meta["repeat"], startup),
        "Classic flow: bench/classic_flow.py, one instance after another, in parallel on a second emulator with the same delays.",
    ]
    if rerun:
        lines.append("Per-task overhead (no-change re-run): %s; of that, ansible-playbook startup %.2f s and a trivial "
                     "module task (ansible.builtin.ping) %.2f s more." % (
                         ", ".join("N=%d %.2f s" % (r["n"], r["wall_s"]) for r in rerun), startup, ping - startup))
    lines.append("Load average (1/5/15 min) at start %s, at end %s, on %d CPUs." % (
        " ".join("%.2f" % v for v in meta["load_start"]), " ".join("%.2f" % v for v in meta["load_end"]), meta["cpus"]))
    return "\n".join(lines)


def check_targets(table: list[dict], classic: dict[int, dict]) -> list[dict]:
    """The issues' targets, each with the measured value and pass/fail (bench/README.md explains them)."""
    rows = {(r["n"], r["op"]): r for r in table}
    targets = []

    def add(target: str, value: Any, met: bool) -> None:
        targets.append({"target": target, "value": value, "met": bool(met)})

    create = rows.get((100, "create"))
    if create:
        add("create 100 within 1.2x the floor (wall)", create["ratio_to_floor"], create["ratio_to_floor"] <= 1.2)
        add("create 100 within 1.2x the floor (task: wall minus ansible-playbook startup)",
            create["task_ratio_to_floor"], create["task_ratio_to_floor"] <= 1.2)
        add("create 100: one RunInstances, one DescribeInstances per poll (DryRun release-marker reads aside)",
            create["real_calls"], create["real_calls"].get("RunInstances") == 1 and create["max_round_calls"] == 1
            and set(create["real_calls"]) <= {"RunInstances", "DescribeInstances"})
        add("create 100: at most 8 DescribeInstances for the 5 s transition", create["calls"].get("DescribeInstances"),
            create["calls"].get("DescribeInstances", 0) <= 8)
        add("create 100: the last poll at most 0.5 s after the instances are Running (s)", create["arrival_lag_s"],
            create["arrival_lag_s"] is not None and create["arrival_lag_s"] <= 0.5)
    for op, limit in (("create", None), ("stop", 5), ("start", 6), ("restart", None)):
        row = rows.get((100, op))
        if row:
            add("%s 100: no DescribeInstances repeated back to back" % op, row["back_to_back_reads"],
                row["back_to_back_reads"] == 0)
            if limit:
                add("%s 100: at most %d API calls" % (op, limit), row["calls"], row["total_calls"] <= limit)
    rerun = rows.get((100, "re-run"))
    if rerun:
        add("re-run 100: no mutating call, at most one DescribeInstances", rerun["calls"],
            rerun["mutating_calls"] == 0 and rerun["calls"].get("DescribeInstances", 0) <= 1)
    big = rows.get((1000, "create"))
    if big:
        add("create 1000: 10 RunInstances", big["real_calls"].get("RunInstances"), big["real_calls"].get("RunInstances") == 10)
        add("create 1000: at most 10 DescribeInstances per polling round", big["max_round_calls"], big["max_round_calls"] <= 10)
        add("create 1000: Running within the floor + 3 s of the first RunInstances (s)", big["arrival_span_s"],
            big["arrival_span_s"] is not None and big["arrival_span_s"] <= big["floor_s"] + 3)
    release = rows.get((1000, "delete"))
    if release:
        add("delete 1000: 10 DeleteInstances (DryRun release-marker reads aside)", release["real_calls"].get("DeleteInstances"),
            release["real_calls"].get("DeleteInstances") == 10)
        add("delete 1000: at most 10 DescribeInstances per polling round", release["max_round_calls"],
            release["max_round_calls"] <= 10)
    create10 = rows.get((10, "create"))
    if create10 and 10 in classic:
        targets.append({"target": "create 10 at least 5x faster than the classic flow",
                        "value": create10.get("speedup_vs_classic"), "met": create10.get("speedup_vs_classic", 0) >= 5,
                        "classic_measured": classic[10]["measured"]})
    return targets


# --------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ecs_instance benchmark against the emulator (see bench/README.md)")
    parser.add_argument("--quick", action="store_true", help="N=1,10 only, one repetition, classic N=1 only")
    parser.add_argument("--sizes", help="comma-separated N values (default 1,10,100,1000; --quick 1,10)")
    parser.add_argument("--repeat", type=int, help="lifecycle repetitions per N (default 3; --quick 1)")
    parser.add_argument("--classic-sizes", help="N values for the classic flow (default 1,10; --quick 1; '' = none)")
    parser.add_argument("--collections-path", help="use this installed collections path instead of building one")
    parser.add_argument("--emulator-config", default="{}",
                        help="JSON merged into both emulators' settings (POST /_emulator/config), e.g. "
                             "'{\"observe_transients\": false}'; the delays stay fixed")
    parser.add_argument("--json", default=str(RESULTS / "bench.json"), help="JSON output (default bench/results/bench.json)")
    args = parser.parse_args(argv)

    sizes = [int(x) for x in (args.sizes or ("1,10" if args.quick else "1,10,100,1000")).split(",") if x]
    repeat = args.repeat or (1 if args.quick else 3)
    classic_text = args.classic_sizes if args.classic_sizes is not None else ("1" if args.quick else "1,10")
    classic_sizes = [int(x) for x in classic_text.split(",") if x]
    meta: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "sizes": sizes, "repeat": repeat,
        "classic_sizes": classic_sizes, "delays": DELAYS, "cpus": os.cpu_count(), "load_start": list(os.getloadavg()),
        "python": sys.version.split()[0],
    }
    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="alicloud-bench-"))
    delays = "%g,%g,%g" % (DELAYS["Pending"], DELAYS["Starting"], DELAYS["Stopping"])
    try:
        if args.collections_path:
            collections_path = Path(args.collections_path)
        else:
            log("building and installing the collection into %s" % work)
            collections_path = install_collection(work)
        with Emulator("--quiet", "--delays", delays) as emu, Emulator("--quiet", "--delays", delays) as classic_emu:
            extra_config = json.loads(args.emulator_config)
            if extra_config:
                if "delays" in extra_config:
                    raise SystemExit("--emulator-config may not change the delays: the floors depend on them")
                emu.config(extra_config)
                classic_emu.config(extra_config)
            meta["emulator_config"] = {k: v for k, v in emu.config().items()
                                       if k in ("delays", "observe_transients") or k in extra_config}
            runner = ClassicRunner(classic_emu, classic_sizes, work).start() if classic_sizes else None
            if runner:
                log("classic flow running in the background for N=%s (about 40 s per instance)" % ",".join(map(str, classic_sizes)))
            books = Playbooks(collections_path, emu, work)
            books.run("empty.yml")  # warm the file cache before timing anything
            samples: dict[str, list[dict]] = {"empty": [], "ping": []}
            runs: list[dict] = []
            for rep in range(repeat):
                # Baselines in every repetition, so that they see the same machine load as the runs.
                for playbook in samples:
                    samples[playbook].append(books.baseline(playbook + ".yml", 3))
                log("baselines: empty playbook %.2f s, ping %.2f s" % (samples["empty"][-1]["wall_s"], samples["ping"][-1]["wall_s"]))
                for n in sizes:
                    runs.extend(run_lifecycle(books, emu, n, rep))
            baselines = {
                name: {"wall_s": round(statistics.median(w for b in items for w in b["samples_s"]), 3),
                       "cpu_s": round(statistics.median(b["cpu_s"] for b in items), 3),
                       "samples_s": [w for b in items for w in b["samples_s"]]}
                for name, items in samples.items()
            }
            startup = baselines["empty"]["wall_s"]
            if runner:
                log("waiting for the classic flow to finish")
                runner.join()
                for n, error in runner.errors.items():
                    log("classic flow N=%d failed: %s" % (n, error))
                classic = classic_rows(runner, classic_emu.calls(), sorted(set(sizes) | set(classic_sizes)))
            else:
                classic = {}
        meta["load_end"] = list(os.getloadavg())
        meta["duration_s"] = round(time.monotonic() - began, 1)
        table = summarize(runs, startup, classic)
        targets = check_targets(table, classic)
        report = markdown(table, classic, baselines, meta)
        output = {"meta": meta, "baselines": baselines, "table": table, "classic": classic, "targets": targets, "runs": runs,
                  "markdown": report}
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(output, indent=2) + "\n")  # first: stdout may be a closed pipe
        print(report)
        print()
        for target in targets:
            print("- target %s: %s (%s)" % ("MET" if target["met"] else "NOT MET", target["target"], target["value"]))
        if 100 not in sizes:
            print("- N=100 not run: the create and re-run targets are checked at N=100 only")
        log("wrote %s in %.0f s" % (args.json, meta["duration_s"]))
        failed = [r for r in runs if not r["ok"]] or (runner and runner.errors)
        return 1 if failed else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
