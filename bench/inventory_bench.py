#!/usr/bin/env python3
"""Benchmark: the alicloud.ecs.ecs inventory plugin at 1,000, 5,000 and 10,000 hosts over two regions.

``make bench`` runs this file.  What it does (details in bench/README.md):

1. builds the collection tarball and installs it into a temporary collections
   path with bench/run.py's ``install_collection`` (or times the collections
   path given with ``--collections-path``);
2. starts one emulator (no transition delays) and, for each size, adds
   instances until there are that many, half in cn-beijing and half in
   cn-hangzhou (RunInstances, 100 per call, over the zones' vSwitches; some
   with a public IP, most tagged);
3. for each size, times ``ansible-inventory -i bench.ecs.yml --list`` from
   outside (wall, CPU, peak RSS of the process), ``--repeat`` times each:
   the default (lean) host variables without cache; the same with
   ``cache: true`` (jsonfile), its first run filling the cache and the runs
   after it reading it; the same hosts with no variables from a static
   script source (what ansible-core itself costs for that many hosts); and
   once, every attribute with empty values too (``hostvars_include: [all]``,
   ``hostvars_keep_empty: true``, the earlier default);
4. checks every run: all instances listed, cached runs identical to uncached
   ones and without API calls, no empty host variable, both regions in flight
   at the same time;
5. prints a Markdown table and the targets of issue 14 (10,000 hosts: at most
   6 s and 250 MiB, a cached second run in at most 1.5 s) with MET / NOT MET,
   and writes bench/results/inventory.json.

Usage: .venv/bin/python bench/inventory_bench.py [--sizes 1000,5000,10000] [--repeat 3] [--no-full]
Exit status 1 if a run failed or a check did not hold (a missed target is reported, not an error).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
sys.path[:0] = [str(ROOT), str(BENCH)]

from benchlib import ansible_env, install_collection, tool, verdict  # noqa: E402  (shared by the benchmarks)
from benchlib import log as _log  # noqa: E402

from tests.helpers.emulator import Emulator, json_body, v1_call  # noqa: E402

# region -> (id prefix of the seed network, zone letters); instances go round-robin over the zones'
# default vSwitches (a /20 holds about 4,000 addresses, so 5,000 per region need more than one).
REGIONS = {"cn-beijing": ("2ze", "hik"), "cn-hangzhou": ("bp1", "hij")}
IMAGE = "ubuntu_22_04_x64_20G_alibase_20240130.vhd"
INSTANCE_TYPE = "ecs.g6.large"
BATCH = 100
SIZES = [1000, 5000, 10000]
TARGET_SIZE = 10000
TARGETS = {"wall_s": 6.0, "peak_rss_mib": 250.0, "cached_wall_s": 1.5}
LEAN = {"plugin": "alicloud.ecs.ecs", "regions": list(REGIONS)}
FULL = dict(LEAN, hostvars_include=["all"], hostvars_keep_empty=True)
# What inventories usually add: groups by tag and zone; then also one conditional group (ansible-core 2.19 and
# later compile a conditional again for every host, which the plugin cannot avoid).
GROUPED = dict(LEAN, keyed_groups=[{"key": "ecs_tags", "prefix": "tag"}, {"key": "ecs_zone_id", "prefix": "zone"}])
CONDITIONAL = dict(GROUPED, groups={"running": "ecs_status == 'Running'"})


# --------------------------------------------------------------------------- seeding

class Fleet:
    """Adds instances to the emulator, half per region, 100 per RunInstances."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.batches = {region: 0 for region in REGIONS}

    @property
    def size(self) -> int:
        return sum(self.batches.values()) * BATCH

    def grow_to(self, total: int) -> float:
        """Create instances until there are ``total`` (a multiple of 200); returns the seconds it took."""
        started = time.monotonic()
        per_region = total // len(REGIONS) // BATCH
        for region, (prefix, zones) in REGIONS.items():
            while self.batches[region] < per_region:
                self._run_instances(region, prefix, zones, self.batches[region])
                self.batches[region] += 1
        return time.monotonic() - started

    def _run_instances(self, region: str, prefix: str, zones: str, batch: int) -> None:
        zone = zones[batch % len(zones)]
        params = {
            "RegionId": region, "ImageId": IMAGE, "InstanceType": INSTANCE_TYPE, "Amount": str(BATCH),
            "VSwitchId": "vsw-%semudefault%s" % (prefix, zone), "SecurityGroupId": "sg-%semudefault" % prefix,
            "InstanceName": "bench-%s-%03d" % (region, batch), "ClientToken": "inventory-bench-%s-%d" % (region, batch),
            # Every other batch has a public IP; four batches in five are tagged (so ecs_tags and ecs_public_ip
            # are absent on some hosts, as in a real estate).
            "InternetMaxBandwidthOut": "5" if batch % 2 else "0",
        }
        if batch % 5:
            params.update({"Tag.1.Key": "role", "Tag.1.Value": ("web", "db", "batch")[batch % 3],
                           "Tag.2.Key": "env", "Tag.2.Value": "prod" if batch % 2 else "dev"})
        status, _headers, raw = v1_call(self.emu, "RunInstances", params, method="POST")
        if status != 200:
            raise SystemExit("RunInstances failed (%d): %s" % (status, json_body(raw)))


# --------------------------------------------------------------------------- running ansible-inventory

def log(message: str) -> None:
    _log("inventory bench", message)


# Starts each ansible-inventory and reports its rusage. A child's peak RSS (ru_maxrss) starts from what its
# parent had at fork and survives exec, so the commands are started by this small process, launched while the
# benchmark itself is small, never by the benchmark (which holds 10,000 parsed hosts by then).
LAUNCHER = r"""
import json, os, subprocess, sys, time
for line in sys.stdin:
    job = json.loads(line)
    started = time.monotonic()
    with open(job["stderr"], "w") as stderr:
        proc = subprocess.Popen(job["cmd"], env=job["env"], cwd=job["cwd"], stdout=subprocess.DEVNULL, stderr=stderr)
        _pid, status, usage = os.wait4(proc.pid, 0)
    print(json.dumps({"wall_s": time.monotonic() - started, "cpu_s": usage.ru_utime + usage.ru_stime,
                      "maxrss_kib": usage.ru_maxrss, "rc": os.waitstatus_to_exitcode(status)}), flush=True)
"""


class Inventory:
    """Runs ansible-inventory against the installed collection and the emulator (through LAUNCHER)."""

    def __init__(self, collections_path: Path, emu: Emulator, workdir: Path) -> None:
        self.emu, self.workdir = emu, workdir
        failing = {"ANSIBLE_INVENTORY_UNPARSED_FAILED": "1", "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "1"}
        self.env = ansible_env(emu, next(iter(REGIONS)), workdir, collections_path, failing)
        self.launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         text=True)

    def close(self) -> None:
        if self.launcher.stdin:
            self.launcher.stdin.close()
        self.launcher.wait(timeout=60)

    def config(self, name: str, config: dict[str, Any]) -> Path:
        path = self.workdir / name
        path.write_text(json.dumps(config, indent=2) + "\n")  # JSON is YAML
        return path

    def run(self, source: Path, output: Path, *args: str, bindir: Path | None = None) -> dict[str, Any]:
        """One ``ansible-inventory -i SOURCE --list``: wall and CPU seconds, peak RSS (MiB), exit status."""
        command = tool("ansible-inventory", bindir) if bindir else tool("ansible-inventory")
        cmd = [command, "-i", str(source), "--list", "--output", str(output), *args]
        stderr = self.workdir / "stderr.txt"
        job = {"cmd": cmd, "env": self.env, "cwd": str(self.workdir), "stderr": str(stderr)}
        assert self.launcher.stdin is not None and self.launcher.stdout is not None
        self.launcher.stdin.write(json.dumps(job) + "\n")
        self.launcher.stdin.flush()
        result = json.loads(self.launcher.stdout.readline())
        return {"wall_s": round(result["wall_s"], 3), "cpu_s": round(result["cpu_s"], 3),
                "peak_rss_mib": round(result["maxrss_kib"] / 1024, 1), "rc": result["rc"],
                "stderr": stderr.read_text(errors="replace")[-3000:]}


def unwrap(value: Any) -> Any:
    """ansible-inventory marks strings from plugins as {"__ansible_unsafe": ...}."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


def empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and not value)


def regions_overlap(calls: list[dict]) -> bool:
    """Whether the regions' DescribeInstances were in flight at the same time (one began before another ended)."""
    spans = {}
    for call in calls:
        region = call["parameters"].get("RegionId")
        end = call["timestamp"]
        start = end - (call.get("duration_ms") or 0) / 1000.0
        first, last = spans.get(region, (start, end))
        spans[region] = (min(first, start), max(last, end))
    if len(spans) < 2:
        return False
    ordered = sorted(spans.values())
    return all(ordered[i + 1][0] < ordered[i][1] for i in range(len(ordered) - 1))


def median_of(runs: list[dict], key: str) -> float:
    return round(statistics.median(r[key] for r in runs), 3)


# --------------------------------------------------------------------------- one size

def measure_size(inv: Inventory, emu: Emulator, size: int, repeat: int, full: bool, problems: list[str],
                 bindir: Path | None = None, extras: bool = True) -> dict:
    """The rows of one size; with ``bindir`` the ansible-core of that directory, lean, cached and floor only."""
    work = inv.workdir
    lean_path = inv.config("lean.ecs.yml", LEAN)
    cache_dir = work / ("cache-%d-%s" % (size, "oldest" if bindir else "main"))
    cached_path = inv.config("cached.ecs.yml", dict(LEAN, cache=True, cache_plugin="ansible.builtin.jsonfile",
                                                   cache_connection=str(cache_dir), cache_timeout=3600))
    row: dict[str, Any] = {"hosts": size}

    def check(run: dict, what: str) -> None:
        what = what + (" (%s)" % bindir if bindir else "")
        if run["rc"] != 0:
            problems.append("%d hosts, %s: ansible-inventory exited %d: %s" % (size, what, run["rc"], run["stderr"]))

    lean_runs, calls = [], []
    for _ in range(repeat):
        emu.clear_calls()
        run = inv.run(lean_path, work / "lean.json", bindir=bindir)
        check(run, "lean")
        calls = emu.calls("DescribeInstances")
        run["describe_calls"] = len(calls)
        run["regions_overlap"] = regions_overlap(calls)
        # The emulator's own time for those calls (its single process serves both regions).
        run["server_s"] = round(sum(c.get("duration_ms") or 0 for c in calls) / 1000.0, 3)
        run["server_page_ms"] = round(statistics.median(c.get("duration_ms") or 0 for c in calls), 2) if calls else None
        lean_runs.append(run)
    lean = unwrap(json.loads((work / "lean.json").read_text()))
    hostvars = lean.get("_meta", {}).get("hostvars", {})
    if len(hostvars) != size:
        problems.append("%d hosts, lean: %d hosts listed" % (size, len(hostvars)))
    empties = sum(1 for variables in hostvars.values() for value in variables.values() if empty(value))
    if empties:
        problems.append("%d hosts, lean: %d empty host variables" % (size, empties))
    counts = [len(variables) for variables in hostvars.values()]
    row["lean"] = {
        "wall_s": median_of(lean_runs, "wall_s"), "cpu_s": median_of(lean_runs, "cpu_s"),
        "peak_rss_mib": max(r["peak_rss_mib"] for r in lean_runs), "samples_s": [r["wall_s"] for r in lean_runs],
        "describe_calls": lean_runs[-1]["describe_calls"], "regions_overlap": all(r["regions_overlap"] for r in lean_runs),
        "server_s": median_of(lean_runs, "server_s"), "server_page_ms": lean_runs[-1]["server_page_ms"],
        "vars_per_host": round(sum(counts) / max(1, len(counts)), 2), "vars_max": max(counts or [0]),
        "empty_vars": empties, "output_mib": round((work / "lean.json").stat().st_size / 2**20, 1),
    }

    # Cache: a new cache directory per size; the first run reads the API and fills it, every later run reads it.
    emu.clear_calls()
    filling = inv.run(cached_path, work / "cached.json", bindir=bindir)
    check(filling, "cache filling")
    cached_runs = []
    for _ in range(repeat):
        emu.clear_calls()
        run = inv.run(cached_path, work / "cached.json", bindir=bindir)
        check(run, "cached")
        run["describe_calls"] = len(emu.calls("DescribeInstances"))
        cached_runs.append(run)
    if any(r["describe_calls"] for r in cached_runs):
        problems.append("%d hosts, cached: DescribeInstances was called" % size)
    if unwrap(json.loads((work / "cached.json").read_text())) != lean:
        problems.append("%d hosts: the cached run's inventory differs from the uncached one" % size)
    row["cached"] = {"wall_s": median_of(cached_runs, "wall_s"), "cpu_s": median_of(cached_runs, "cpu_s"),
                     "peak_rss_mib": max(r["peak_rss_mib"] for r in cached_runs),
                     "samples_s": [r["wall_s"] for r in cached_runs], "filling_wall_s": filling["wall_s"]}

    # ansible-core's own cost for the same hosts: a script source listing their names, no variables.
    listing = work / "hosts.json"
    listing.write_text(json.dumps({"all": {"hosts": sorted(hostvars)}, "_meta": {"hostvars": {}}}))
    script = work / "floor.sh"
    script.write_text("#!/bin/sh\nexec cat %s\n" % listing)
    script.chmod(0o755)
    floor_runs = [inv.run(script, work / "floor.json", bindir=bindir) for _ in range(repeat)]
    for run in floor_runs:
        check(run, "floor")
    row["floor"] = {"wall_s": median_of(floor_runs, "wall_s"), "cpu_s": median_of(floor_runs, "cpu_s"),
                    "peak_rss_mib": max(r["peak_rss_mib"] for r in floor_runs)}
    if not extras:
        return row

    web = sorted(name for name, variables in hostvars.items() if variables.get("ecs_tags", {}).get("role") == "web")
    for key, config in (("grouped", GROUPED), ("conditional", CONDITIONAL)):
        run = inv.run(inv.config(key + ".ecs.yml", config), work / (key + ".json"))
        check(run, key)
        data = unwrap(json.loads((work / (key + ".json")).read_text()))
        if sorted(data.get("tag_role_web", {}).get("hosts", [])) != web:
            problems.append("%d hosts, %s: the group tag_role_web is not as expected" % (size, key))
        if key == "conditional" and len(data.get("running", {}).get("hosts", [])) != size:
            problems.append("%d hosts, conditional: the group running does not have every host" % size)
        row[key] = {"wall_s": run["wall_s"], "cpu_s": run["cpu_s"], "peak_rss_mib": run["peak_rss_mib"],
                    "groups": len([name for name in data if name not in ("_meta", "all", "ungrouped")])}

    if full:
        emu.clear_calls()
        run = inv.run(inv.config("full.ecs.yml", FULL), work / "full.json")
        check(run, "full")
        data = json.loads((work / "full.json").read_text()).get("_meta", {}).get("hostvars", {})
        counts = [len(variables) for variables in data.values()]
        row["full"] = {"wall_s": run["wall_s"], "cpu_s": run["cpu_s"], "peak_rss_mib": run["peak_rss_mib"],
                       "vars_per_host": round(sum(counts) / max(1, len(counts)), 2),
                       "output_mib": round((work / "full.json").stat().st_size / 2**20, 1)}
        (work / "full.json").unlink()
    return row


# --------------------------------------------------------------------------- report

def per_host_ms(seconds: float, hosts: int) -> float:
    return round(seconds * 1000 / hosts, 3)


def curve(rows: list[dict]) -> list[dict]:
    """Per-host cost at each size and between sizes (the slope, which the fixed startup cost does not blur)."""
    points = []
    previous = None
    for row in rows:
        point = {"hosts": row["hosts"], "lean_ms": per_host_ms(row["lean"]["wall_s"], row["hosts"]),
                 "cached_ms": per_host_ms(row["cached"]["wall_s"], row["hosts"]),
                 "floor_ms": per_host_ms(row["floor"]["wall_s"], row["hosts"]),
                 "kib_per_host": round(row["lean"]["peak_rss_mib"] * 1024 / row["hosts"], 1)}
        if "full" in row:
            point["full_ms"] = per_host_ms(row["full"]["wall_s"], row["hosts"])
        if previous is not None:
            added = row["hosts"] - previous["hosts"]
            point["lean_slope_ms"] = per_host_ms(row["lean"]["wall_s"] - previous["lean"]["wall_s"], added)
            point["cached_slope_ms"] = per_host_ms(row["cached"]["wall_s"] - previous["cached"]["wall_s"], added)
            point["floor_slope_ms"] = per_host_ms(row["floor"]["wall_s"] - previous["floor"]["wall_s"], added)
            point["kib_slope"] = round((row["lean"]["peak_rss_mib"] - previous["lean"]["peak_rss_mib"]) * 1024 / added, 1)
        points.append(point)
        previous = row
    return points


def check_targets(rows: list[dict], oldest: dict | None = None, oldest_name: str = "") -> list[dict]:
    at = next((row for row in rows if row["hosts"] == TARGET_SIZE), None)
    if at is None:
        return []
    lean, cached, floor = at["lean"], at["cached"], at["floor"]
    targets = [
        {"target": "10,000 hosts, two regions, ansible-inventory --list <= %g s" % TARGETS["wall_s"],
         "value": "%.2f s (ansible-core alone, same hosts without variables: %.2f s)" % (lean["wall_s"], floor["wall_s"]),
         "met": lean["wall_s"] <= TARGETS["wall_s"]},
        {"target": "10,000 hosts, peak RSS <= %g MiB" % TARGETS["peak_rss_mib"],
         "value": "%.0f MiB" % lean["peak_rss_mib"], "met": lean["peak_rss_mib"] <= TARGETS["peak_rss_mib"]},
        {"target": "10,000 hosts, cache enabled, second run <= %g s" % TARGETS["cached_wall_s"],
         "value": "%.2f s (ansible-core alone: %.2f s)" % (cached["wall_s"], floor["wall_s"]),
         "met": cached["wall_s"] <= TARGETS["cached_wall_s"]},
        {"target": "regions fetched concurrently", "value": "both regions' DescribeInstances in flight at once: %s"
         % ("yes" if lean["regions_overlap"] else "no"), "met": lean["regions_overlap"]},
        {"target": "lean default host variables, no empty ones",
         "value": "%.1f variables per host (at most %d), %d empty" % (lean["vars_per_host"], lean["vars_max"], lean["empty_vars"])
         + ("; every attribute: %.1f" % at["full"]["vars_per_host"] if "full" in at else ""),
         "met": lean["empty_vars"] == 0},
    ]
    if oldest is not None and oldest["hosts"] == TARGET_SIZE:
        for key, label, limit in (("lean", "--list", "wall_s"), ("cached", "cached second run", "cached_wall_s")):
            targets.append({
                "target": "the same on %s, %s <= %g s" % (oldest_name, label, TARGETS[limit]),
                "value": "%.2f s, %.0f MiB (ansible-core alone: %.2f s)" % (
                    oldest[key]["wall_s"], oldest[key]["peak_rss_mib"], oldest["floor"]["wall_s"]),
                "met": oldest[key]["wall_s"] <= TARGETS[limit] and oldest[key]["peak_rss_mib"] <= TARGETS["peak_rss_mib"],
            })
    return targets


def markdown(rows: list[dict], points: list[dict], meta: dict, oldest: dict | None = None) -> str:
    lines = [
        "### Inventory: `ansible-inventory --list`, hosts over two regions (cn-beijing, cn-hangzhou)",
        "",
        "Load average %.1f at start, %.1f at end, %d CPUs; medians of %d runs (groups and \"every attribute\": "
        "one run each)."
        % (meta["load_start"][0], meta["load_end"][0], meta["cpus"], meta["repeat"]),
        "",
        "| hosts | lean s (CPU) | cached s (CPU) | ansible-core alone s (CPU) | keyed groups s | + a conditional s "
        "| every attribute s | every / lean | lean MiB | every MiB | vars/host (every) | DescribeInstances "
        "| regions at once |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        lean, cached, floor, full = row["lean"], row["cached"], row["floor"], row.get("full")
        lines.append("| %s | %.2f (%.2f) | %.2f (%.2f) | %.2f (%.2f) | %.2f | %.2f | %s | %s | %.0f | %s | %.1f (%s) | %d | %s |" % (
            "{:,}".format(row["hosts"]), lean["wall_s"], lean["cpu_s"], cached["wall_s"], cached["cpu_s"],
            floor["wall_s"], floor["cpu_s"], row["grouped"]["wall_s"], row["conditional"]["wall_s"],
            "%.2f" % full["wall_s"] if full else "-", "%.1fx" % (full["wall_s"] / lean["wall_s"]) if full else "-",
            lean["peak_rss_mib"], "%.0f" % full["peak_rss_mib"] if full else "-", lean["vars_per_host"],
            "%.1f" % full["vars_per_host"] if full else "-", lean["describe_calls"],
            "yes" if lean["regions_overlap"] else "no"))
    lines += [
        "",
        "Per-host cost (ms per host at each size; slope = extra ms per added host since the previous size):",
        "",
        "| hosts | lean | lean slope | cached | cached slope | ansible-core alone | its slope | every attribute "
        "| KiB/host | KiB slope |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for point in points:
        lines.append("| %s | %.3f | %s | %.3f | %s | %.3f | %s | %s | %.1f | %s |" % (
            "{:,}".format(point["hosts"]), point["lean_ms"], _opt(point, "lean_slope_ms"), point["cached_ms"],
            _opt(point, "cached_slope_ms"), point["floor_ms"], _opt(point, "floor_slope_ms"), _opt(point, "full_ms"),
            point["kib_per_host"], _opt(point, "kib_slope", "%.1f")))
    if oldest is not None:
        lines += [
            "",
            "The same with the oldest supported ansible-core (%s), %s hosts:" % (meta["oldest"], "{:,}".format(oldest["hosts"])),
            "",
            "| lean s (CPU) | lean MiB | cached s (CPU) | ansible-core alone s (CPU) |",
            "|---:|---:|---:|---:|",
            "| %.2f (%.2f) | %.0f | %.2f (%.2f) | %.2f (%.2f) |" % (
                oldest["lean"]["wall_s"], oldest["lean"]["cpu_s"], oldest["lean"]["peak_rss_mib"],
                oldest["cached"]["wall_s"], oldest["cached"]["cpu_s"], oldest["floor"]["wall_s"], oldest["floor"]["cpu_s"]),
        ]
    return "\n".join(lines)


def _opt(point: dict, key: str, fmt: str = "%.3f") -> str:
    return fmt % point[key] if key in point else "-"


def oldest_version(bindir: Path) -> str:
    """``ansible-core X.Y.Z, Python A.B`` of a venv's ansible."""
    proc = subprocess.run([str(bindir / "ansible"), "--version"], capture_output=True, text=True, check=False)
    first = (proc.stdout.splitlines() or ["?"])[0]
    core = first.split("[core ")[-1].rstrip("]") if "[core " in first else first
    python = next((line.split("=")[1].split()[0] for line in proc.stdout.splitlines() if "python version" in line), "?")
    return "ansible-core %s, Python %s" % (core, python)


def measure_sizes(inv: Inventory, emu: Emulator, fleet: Fleet, sizes: list[int], args: Any,
                  problems: list[str]) -> list[dict]:
    rows = []
    for size in sizes:
        seconds = fleet.grow_to(size)
        log("%d instances in the emulator (%.1f s to add them); timing ansible-inventory" % (fleet.size, seconds))
        row = measure_size(inv, emu, size, args.repeat, not args.no_full, problems)
        rows.append(row)
        log("%d hosts: lean %.2f s, cached %.2f s, ansible-core alone %.2f s, %.0f MiB%s" % (
            size, row["lean"]["wall_s"], row["cached"]["wall_s"], row["floor"]["wall_s"],
            row["lean"]["peak_rss_mib"], ", every attribute %.2f s" % row["full"]["wall_s"] if "full" in row else ""))
    return rows


# --------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="alicloud.ecs.ecs inventory benchmark against the emulator")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="host counts, multiples of 200 (default 1000,5000,10000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median; default 3)")
    parser.add_argument("--no-full", action="store_true", help="skip the every-attribute run (30 s and 1 GiB at 10,000)")
    parser.add_argument("--collections-path", help="time this installed collections path instead of building one")
    parser.add_argument("--oldest-venv", default=str(ROOT / ".venv-oldest"),
                        help="also time the largest size with this venv's ansible-core (default .venv-oldest, "
                             "ansible-core 2.16, if it exists; '' for none)")
    parser.add_argument("--json", default=str(RESULTS / "inventory.json"),
                        help="JSON output (default bench/results/inventory.json)")
    args = parser.parse_args(argv)
    sizes = sorted(int(x) for x in args.sizes.split(",") if x)
    if any(size % (BATCH * len(REGIONS)) for size in sizes):
        raise SystemExit("--sizes: each size must be a multiple of %d" % (BATCH * len(REGIONS)))

    meta: dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "sizes": sizes,
                            "repeat": args.repeat, "cpus": os.cpu_count(), "load_start": list(os.getloadavg()),
                            "python": sys.version.split()[0]}
    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="alicloud-inventory-bench-"))
    problems: list[str] = []
    rows: list[dict] = []
    oldest: dict | None = None
    try:
        if args.collections_path:
            collections_path = Path(args.collections_path)
        else:
            log("building and installing the collection into %s" % work)
            collections_path = install_collection(work)
        with Emulator("--quiet", "--delays", "fast") as emu:
            fleet = Fleet(emu)
            inv = Inventory(collections_path, emu, work)
            try:
                rows += measure_sizes(inv, emu, fleet, sizes, args, problems)
                oldest_bin = Path(args.oldest_venv) / "bin" if args.oldest_venv else None
                if oldest_bin is not None and (oldest_bin / "ansible-inventory").exists():
                    meta["oldest"] = oldest_version(oldest_bin)
                    log("%d hosts with %s" % (sizes[-1], meta["oldest"]))
                    oldest = measure_size(inv, emu, sizes[-1], args.repeat, False, problems, oldest_bin, extras=False)
            finally:
                inv.close()
        meta["load_end"] = list(os.getloadavg())
        meta["duration_s"] = round(time.monotonic() - began, 1)
        points = curve(rows)
        targets = check_targets(rows, oldest, meta.get("oldest", ""))
        report = markdown(rows, points, meta, oldest)
        output = {"meta": meta, "rows": rows, "curve": points, "oldest": oldest, "targets": targets, "problems": problems,
                  "markdown": report}
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(output, indent=2) + "\n")
        print(report)
        print()
        for target in targets:
            print("- target %s: %s (%s)" % (verdict(target["met"]), target["target"], target["value"]))
        if TARGET_SIZE not in sizes:
            print("- %s hosts not run: the targets are checked at that size only" % "{:,}".format(TARGET_SIZE))
        for problem in problems:
            print("- PROBLEM: %s" % problem)
        log("wrote %s in %.0f s" % (args.json, meta["duration_s"]))
        return 1 if problems else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
