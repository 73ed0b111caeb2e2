#!/usr/bin/env python3
"""Emulator benchmark: DescribeInstances over HTTP with the official old SDK.

Creates 1,000 instances (RunInstances Amount=100 x 10, zero delays), then
measures DescribeInstances (PageSize=100) latency p50/p95 sequentially and
throughput with 1 and 8 client threads, plus the emulator process's peak RSS.
Prints a Markdown table and writes bench/results/emulator.json.  Not a test.

Usage: .venv/bin/python bench/emulator_bench.py [--calls N] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "emulator")]

from aliyunsdkecs.request.v20140526.DescribeInstancesRequest import DescribeInstancesRequest  # noqa: E402
from aliyunsdkecs.request.v20140526.RunInstancesRequest import RunInstancesRequest  # noqa: E402

from tests.helpers.emulator import RUN_DEFAULTS, Emulator  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "emulator.json"


def create_instances(client, batches: int = 10, amount: int = 100) -> None:
    for batch in range(batches):
        request = RunInstancesRequest()
        request.set_ImageId(RUN_DEFAULTS["ImageId"])
        request.set_InstanceType(RUN_DEFAULTS["InstanceType"])
        request.set_VSwitchId(RUN_DEFAULTS["VSwitchId"])
        request.set_SecurityGroupId(RUN_DEFAULTS["SecurityGroupId"])
        request.set_Amount(amount)
        request.set_ClientToken(f"bench-{batch}")
        client.do_action_with_exception(request)


def describe_page(client, page: int) -> int:
    request = DescribeInstancesRequest()
    request.set_PageSize(100)
    request.set_PageNumber(page)
    body = json.loads(client.do_action_with_exception(request))
    return len(body["Instances"]["Instance"])


def timed_calls(client, calls: int) -> list[float]:
    latencies = []
    for i in range(calls):
        started = time.perf_counter()
        assert describe_page(client, i % 10 + 1) == 100
        latencies.append(time.perf_counter() - started)
    return latencies


def throughput(emu: Emulator, threads: int, calls_per_thread: int) -> float:
    clients = [emu.acs_client() for _ in range(threads)]
    workers = [threading.Thread(target=timed_calls, args=(c, calls_per_thread)) for c in clients]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return threads * calls_per_thread / (time.perf_counter() - started)


def peak_rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="sequential DescribeInstances calls (default 300)")
    parser.add_argument("--threads", type=int, default=8, help="client threads for the concurrent run (default 8)")
    args = parser.parse_args()

    with Emulator("--delays", "fast", "--quiet") as emu:
        client = emu.acs_client()
        started = time.perf_counter()
        create_instances(client)
        create_seconds = time.perf_counter() - started
        assert len(emu.instances()) == 1000
        timed_calls(client, 20)  # warm-up
        latencies = timed_calls(client, args.calls)
        sequential = args.calls / sum(latencies)
        concurrent = throughput(emu, args.threads, max(1, args.calls // args.threads))
        rss = peak_rss_mib(emu.proc.pid)
        server_ms = [c["duration_ms"] for c in emu.calls("DescribeInstances")]

    result = {
        "instances": 1000,
        "page_size": 100,
        "calls": args.calls,
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p95_ms": round(percentile(latencies, 95) * 1000, 2),
        "max_ms": round(max(latencies) * 1000, 2),
        "server_side_p50_ms": round(statistics.median(server_ms), 2),
        "throughput_1_client_per_s": round(sequential, 1),
        f"throughput_{args.threads}_clients_per_s": round(concurrent, 1),
        "create_1000_seconds": round(create_seconds, 2),
        "emulator_peak_rss_mib": round(rss, 1) if rss is not None else None,
        "python": platform.python_version(),
        "client": "aliyun-python-sdk-core (signature V1)",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")

    print("### Emulator: DescribeInstances (PageSize=100) over 1,000 instances, old SDK over HTTP\n")
    print("| metric | value |")
    print("|---|---|")
    for key, value in result.items():
        print(f"| {key} | {value} |")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
