#!/usr/bin/env python3
"""`make demo`: the collection's own playbooks against a local ECS emulator.

1. builds the collection and installs the tarball into a temporary collections path;
2. starts the ECS emulator (``python -m ecs_emulator --port 0``) with short but
   real transition delays, so the playbooks visibly wait for instances;
3. runs ``ansible-playbook alicloud.ecs.provision_postpaid`` and
   ``alicloud.ecs.provision_prepaid`` (by FQCN, exactly as a user would),
   then provision_postpaid once more to show that a re-run changes nothing;
4. prints the instances the emulator now holds;
5. runs ``alicloud.ecs.teardown`` (converting the subscription so that it can
   be released) and checks that nothing is left;
6. stops the emulator.

Nothing reaches Alibaba Cloud. Exits non-zero, after printing the failing
command's whole output, if any step fails. ``--verbose`` shows every
playbook's full output.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "emulator")]

from tests.helpers.emulator import DEFAULT_KEY, Emulator  # noqa: E402

REGION = "cn-hangzhou"
# Emulator seed data for cn-hangzhou (emulator/README.md): the default network
# of zone cn-hangzhou-h, a public image and an instance type it offers. On the
# real cloud, pass your own ids instead (README: "Real cloud").
NETWORK_VARS = {
    "ecs_provision_image_id": "aliyun_3_x64_20G_alibase_20240528.vhd",
    "ecs_provision_instance_type": "ecs.g6.large",
    "ecs_provision_vswitch_id": "vsw-bp1emudefaulth",
    "ecs_provision_security_group_ids": ["sg-bp1emudefault"],
}
# Seconds spent in Pending, Starting and Stopping.
DELAYS = (1, 2, 1)
COMMAND_TIMEOUT = 300
RECAP = re.compile(r"^localhost\s*:\s*(.*)$", re.MULTILINE)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class DemoError(Exception):
    pass


def tool(name: str) -> str:
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise DemoError(f"{name} not found next to {sys.executable} or on PATH: run `make demo` (it installs .venv)")
    return found


class Demo:
    def __init__(self, work: Path, verbose: bool) -> None:
        self.work = work
        self.verbose = verbose
        self.collections = work / "collections"
        self.home = work / "ansible-home"
        self.home.mkdir()
        self.step_number = 0
        self.emulator: Emulator | None = None

    # -- output -----------------------------------------------------------
    def step(self, text: str) -> None:
        self.step_number += 1
        print(f"\n[{self.step_number}] {text}", flush=True)

    @staticmethod
    def say(text: str = "") -> None:
        print(f"    {text}" if text else "", flush=True)

    # -- commands ---------------------------------------------------------
    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("ANSIBLE_", "ALICLOUD_", "ALIBABA_CLOUD_")) and key.lower() not in ("http_proxy", "https_proxy")
        }
        env.update(
            ANSIBLE_COLLECTIONS_PATH=str(self.collections),
            ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
            ANSIBLE_HOME=str(self.home),
            ANSIBLE_LOCAL_TEMP=str(self.home / "tmp"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_RETRY_FILES_ENABLED="false",
            ANSIBLE_LOCALHOST_WARNING="false",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
            NO_PROXY="127.0.0.1,localhost",
        )
        if self.emulator is not None:
            # What a user sets for the real cloud, plus the endpoint override.
            env.update(
                ALICLOUD_ACCESS_KEY=DEFAULT_KEY[0],
                ALICLOUD_SECRET_KEY=DEFAULT_KEY[1],
                ALICLOUD_REGION=REGION,
                ALICLOUD_ECS_ENDPOINT=self.emulator.endpoint,
                ALICLOUD_CONFIG_FILE=str(self.work / "no-aliyun-cli-config.json"),
            )
        return env

    def run(self, cmd: list[str]) -> subprocess.CompletedProcess:
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, env=self.env(), cwd=self.work,
                                    timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            raise DemoError(f"{' '.join(cmd)} did not finish within {COMMAND_TIMEOUT} s") from exc
        if result.returncode != 0 or self.verbose:
            for line in (result.stdout + result.stderr).splitlines():
                self.say("| " + ANSI.sub("", line))
        if result.returncode != 0:
            raise DemoError(f"{' '.join(cmd)} exited {result.returncode}")
        return result

    def playbook(self, name: str, extra_vars: dict | None = None) -> dict[str, int]:
        cmd = [tool("ansible-playbook"), f"alicloud.ecs.{name}"]
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        shown = f"ansible-playbook alicloud.ecs.{name}" + (" -e '...'" if extra_vars else "")
        self.step(shown)
        start = time.monotonic()
        result = self.run(cmd)
        elapsed = time.monotonic() - start
        match = RECAP.search(result.stdout)
        if not match:
            raise DemoError(f"no PLAY RECAP for localhost in the output of {shown}")
        recap = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1))}
        for line in self.report_lines(result.stdout):
            self.say(line)
        self.say(f"recap: ok={recap.get('ok', 0)} changed={recap.get('changed', 0)} "
                 f"failed={recap.get('failed', 0)}  ({elapsed:.1f} s)")
        return recap

    @staticmethod
    def report_lines(stdout: str) -> list[str]:
        """The roles' report messages (debug tasks), without Ansible's JSON around them."""
        return [json.loads('"%s"' % m) for m in re.findall(r'^\s*"msg": "(.*)"\s*$', stdout, re.MULTILINE)]

    # -- steps ------------------------------------------------------------
    def install_collection(self) -> None:
        self.step("Build the collection and install it into a temporary collections path")
        dist = self.work / "dist"
        self.run([tool("ansible-galaxy"), "collection", "build", "--force", "--output-path", str(dist), str(REPO_ROOT)])
        tarball = next(dist.glob("alicloud-ecs-*.tar.gz"))
        self.run([tool("ansible-galaxy"), "collection", "install", "--offline", "--force", "-p", str(self.collections),
                  str(tarball)])
        self.say(f"{tarball.name} -> {self.collections}")

    def start_emulator(self) -> Emulator:
        self.step("Start the ECS emulator")
        delays = ",".join(str(d) for d in DELAYS)
        self.emulator = Emulator("--quiet", "--delays", delays).start()
        self.say(f"{self.emulator.endpoint}  region {REGION}, credentials {DEFAULT_KEY[0]} / (emulator secret)")
        self.say(f"transition delays: Pending {DELAYS[0]} s, Starting {DELAYS[1]} s, Stopping {DELAYS[2]} s")
        return self.emulator

    def show_instances(self) -> list[dict]:
        instances = self.emulator.instances()
        columns = ["instance id", "name", "status", "charge type", "expires", "public ip", "type", "zone"]
        rows = [
            [
                i.get("InstanceId", ""),
                i.get("InstanceName", ""),
                i.get("Status", ""),
                i.get("InstanceChargeType", ""),
                (i.get("ExpiredTime") or "-") if i.get("InstanceChargeType") == "PrePaid" else "- (pay-as-you-go)",
                ", ".join((i.get("PublicIpAddress") or {}).get("IpAddress") or []) or "-",
                i.get("InstanceType", ""),
                i.get("ZoneId", ""),
            ]
            for i in sorted(instances, key=lambda i: (i.get("CreationTime") or "", i.get("InstanceId", "")))
        ]
        widths = [max(len(str(cell)) for cell in column) for column in zip(columns, *rows)]
        for row in [columns, ["-" * w for w in widths], *rows]:
            self.say("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
        return instances

    def main(self) -> None:
        started = time.monotonic()
        print("alicloud.ecs demo: the collection's playbooks against a local ECS emulator (nothing reaches Alibaba Cloud)")
        self.install_collection()
        with self.start_emulator():
            postpaid = self.playbook("provision_postpaid", NETWORK_VARS)
            prepaid = self.playbook("provision_prepaid", NETWORK_VARS)
            if not (postpaid.get("changed") and prepaid.get("changed")):
                raise DemoError("a provisioning playbook created nothing")
            again = self.playbook("provision_postpaid", NETWORK_VARS)
            if again.get("changed"):
                raise DemoError("running provision_postpaid again changed something: it should be idempotent")
            self.say("second run changed nothing: the role is idempotent")

            self.step("What the emulator holds now (GET /_emulator/instances)")
            instances = self.show_instances()
            charge_types = sorted(i.get("InstanceChargeType") for i in instances)
            if charge_types != ["PostPaid", "PrePaid"] or any(i.get("Status") != "Running" for i in instances):
                raise DemoError(f"expected one running PostPaid and one running PrePaid instance, got {charge_types}")

            self.playbook("teardown", {"ecs_teardown_convert_prepaid": True})
            left = self.emulator.instances()
            if left:
                raise DemoError(f"{len(left)} instance(s) left after the teardown")
            self.say("no instance left")

            calls = self.emulator.calls()
            counts: dict[str, int] = {}
            for call in calls:
                counts[call["action"]] = counts.get(call["action"], 0) + 1
            self.step(f"API calls the playbooks made ({len(calls)})")
            self.say(", ".join(f"{action} {count}" for action, count in sorted(counts.items())))
        self.step("Emulator stopped")
        print(f"\nDemo finished in {time.monotonic() - started:.1f} s.", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", action="store_true", help="show every command's full output")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (collection, logs)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="alicloud-ecs-demo-"))
    demo = Demo(work, args.verbose)
    try:
        demo.main()
    except (DemoError, OSError) as exc:
        print(f"\nDEMO FAILED: {exc}", file=sys.stderr, flush=True)
        if demo.emulator is not None and demo.emulator.log_text():
            print("emulator log (end):\n" + demo.emulator.log_text()[-3000:], file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        if demo.emulator is not None:
            demo.emulator.close()
        if args.keep:
            print(f"(kept {work})")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
