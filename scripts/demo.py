#!/usr/bin/env python3
"""`make demo`: the collection's own playbooks against a local ECS emulator.

1. builds the collection and installs the tarball into a temporary collections path;
2. starts the ECS emulator (``python -m ecs_emulator --port 0``) with short but
   real transition delays, so the playbooks visibly wait for instances;
3. runs ``ansible-playbook alicloud.ecs.provision_postpaid`` and
   ``alicloud.ecs.provision_prepaid`` (by FQCN, exactly as a user would) side
   by side, then provision_postpaid once more to show that a re-run changes
   nothing;
4. prints the instances the emulator now holds;
5. runs ``alicloud.ecs.teardown`` (converting the subscription so that it can
   be released) and checks that nothing is left;
6. stops the emulator, and prints how to point your own playbooks at one.

Nothing reaches Alibaba Cloud. Exits non-zero, after printing the failing
command's whole output, if any step fails. ``--verbose`` shows every
playbook's full output.

Only the standard library is imported here: `make demo` runs this with
.venv-demo (ansible-core, the SDKs and the emulator, nothing else).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
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
# The port the closing instructions suggest for an emulator of your own.
USER_PORT = 8080
COMMAND_TIMEOUT = 300
STARTUP_TIMEOUT = 20
BANNER = "ECS emulator listening on "
RECAP = re.compile(r"^localhost\s*:\s*(.*)$", re.MULTILINE)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class DemoError(Exception):
    pass


def bin_dir() -> Path:
    """The directory of the running Python's console scripts (.venv-demo/bin under `make demo`)."""
    return Path(sys.executable).parent


def tool(name: str) -> str:
    local = bin_dir() / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise DemoError(f"{name} not found next to {sys.executable} or on PATH: run `make demo` (it installs .venv-demo)")
    return found


def shown_path(path: Path) -> str:
    """A path as a user types it from the top of the checkout."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class EmulatorProcess:
    """``python -m ecs_emulator`` on a free port, and the control API calls the demo makes."""

    def __init__(self, *args: str, log_path: Path) -> None:
        self.args = list(args)
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.endpoint = ""
        self.access_key = ""
        self.secret_key = ""

    def start(self) -> "EmulatorProcess":
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        # Also runs from a checkout whose venv lacks the emulator package.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT / "emulator"), env.get("PYTHONPATH")]))
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ecs_emulator", "--host", "127.0.0.1", "--port", "0", "--exit-with-parent",
                 *self.args],
                stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, env=env, text=True,
            )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read_stdout, args=(lines,), daemon=True).start()
        banner = self._banner(lines)
        self.endpoint = banner[0][len(BANNER):].strip()
        fields = dict(line.split(":", 1) for line in banner[1:] if ":" in line)
        self.access_key = fields.get("AccessKeyId", "").strip()
        self.secret_key = fields.get("AccessKeySecret", "").strip()
        if not (self.endpoint.startswith("http://") and self.access_key and self.secret_key):
            raise DemoError(f"unexpected emulator banner: {banner}")
        return self

    def _read_stdout(self, lines: queue.Queue) -> None:
        for line in self.proc.stdout:
            lines.put(line.rstrip("\n"))
        lines.put("")

    def _banner(self, lines: queue.Queue) -> list[str]:
        """The lines the emulator prints at start, up to its control API address."""
        banner: list[str] = []
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not banner or not banner[-1].startswith("Control API:"):
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise DemoError(f"the emulator did not start within {STARTUP_TIMEOUT} s") from None
            if not line and self.proc.poll() is not None:
                raise DemoError(f"the emulator exited {self.proc.returncode} at start")
            if banner or line.startswith(BANNER):
                banner.append(line)
        return banner

    def control(self, name: str) -> dict:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{self.endpoint}/_emulator/{name}", timeout=30) as response:
            return json.loads(response.read())

    def instances(self) -> list[dict]:
        return self.control("instances")["instances"]

    def calls(self) -> list[dict]:
        return self.control("calls")["calls"]

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Demo:
    def __init__(self, work: Path, verbose: bool) -> None:
        self.work = work
        self.verbose = verbose
        self.collections = work / "collections"
        self.home = work / "ansible-home"
        self.home.mkdir()
        self.step_number = 0
        self.emulator: EmulatorProcess | None = None

    # -- output -----------------------------------------------------------
    def step(self, text: str) -> None:
        self.step_number += 1
        print(f"\n[{self.step_number}] {text}", flush=True)

    @staticmethod
    def say(text: str = "", indent: int = 4) -> None:
        print(" " * indent + text if text else "", flush=True)

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
                ALICLOUD_ACCESS_KEY=self.emulator.access_key,
                ALICLOUD_SECRET_KEY=self.emulator.secret_key,
                ALICLOUD_REGION=REGION,
                ALICLOUD_ECS_ENDPOINT=self.emulator.endpoint,
                ALICLOUD_CONFIG_FILE=str(self.work / "no-aliyun-cli-config.json"),
            )
        return env

    def start_command(self, cmd: list[str]) -> subprocess.Popen:
        # Output goes to a file, so that commands running side by side never block on a full pipe.
        output = tempfile.TemporaryFile("w+", dir=self.work)
        proc = subprocess.Popen(cmd, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                                env=self.env(), cwd=self.work)
        proc.output = output  # type: ignore[attr-defined]
        proc.started = time.monotonic()  # type: ignore[attr-defined]
        return proc

    def finish_command(self, proc: subprocess.Popen, cmd: list[str]) -> tuple[str, float]:
        try:
            proc.wait(max(1.0, COMMAND_TIMEOUT - (time.monotonic() - proc.started)))
        except subprocess.TimeoutExpired as exc:
            proc.kill()
            raise DemoError(f"{' '.join(cmd)} did not finish within {COMMAND_TIMEOUT} s") from exc
        elapsed = time.monotonic() - proc.started
        proc.output.seek(0)
        output = proc.output.read()
        proc.output.close()
        if proc.returncode != 0 or self.verbose:
            for line in output.splitlines():
                self.say("| " + ANSI.sub("", line))
        if proc.returncode != 0:
            raise DemoError(f"{' '.join(cmd)} exited {proc.returncode}")
        return output, elapsed

    def run(self, cmd: list[str]) -> str:
        return self.finish_command(self.start_command(cmd), cmd)[0]

    def playbooks(self, *runs: tuple[str, dict | None]) -> list[dict[str, int]]:
        """Run the named playbooks side by side; report each, in order, once all have ended."""
        started = []
        for name, extra_vars in runs:
            cmd = [tool("ansible-playbook"), f"alicloud.ecs.{name}"]
            if extra_vars:
                cmd += ["-e", json.dumps(extra_vars)]
            started.append((name, extra_vars, cmd, self.start_command(cmd)))
        recaps = []
        for name, extra_vars, cmd, proc in started:
            shown = f"ansible-playbook alicloud.ecs.{name}" + (" -e '...'" if extra_vars else "")
            self.say(f"$ {shown}")
            output, elapsed = self.finish_command(proc, cmd)
            match = RECAP.search(output)
            if not match:
                raise DemoError(f"no PLAY RECAP for localhost in the output of {shown}")
            recap = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1))}
            for line in self.report_lines(output):
                self.say(line, indent=6)
            self.say(f"recap: ok={recap.get('ok', 0)} changed={recap.get('changed', 0)} "
                     f"failed={recap.get('failed', 0)}  ({elapsed:.1f} s)", indent=6)
            recaps.append(recap)
        return recaps

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

    def start_emulator(self) -> EmulatorProcess:
        self.step("Start the ECS emulator")
        delays = ",".join(str(d) for d in DELAYS)
        self.emulator = EmulatorProcess("--quiet", "--delays", delays, log_path=self.work / "emulator.log").start()
        self.say(f"{self.emulator.endpoint}  region {REGION}, credentials {self.emulator.access_key} / (emulator secret)")
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
        emulator = self.start_emulator()
        try:
            self.step("Provision a pay-as-you-go and a subscription instance (two playbooks at the same time)")
            postpaid, prepaid = self.playbooks(("provision_postpaid", NETWORK_VARS), ("provision_prepaid", NETWORK_VARS))
            if not (postpaid.get("changed") and prepaid.get("changed")):
                raise DemoError("a provisioning playbook created nothing")

            self.step("Run provision_postpaid again")
            (again,) = self.playbooks(("provision_postpaid", NETWORK_VARS))
            if again.get("changed"):
                raise DemoError("running provision_postpaid again changed something: it should be idempotent")
            self.say("second run changed nothing: the role is idempotent")

            self.step("What the emulator holds now (GET /_emulator/instances)")
            instances = self.show_instances()
            charge_types = sorted(i.get("InstanceChargeType") for i in instances)
            if charge_types != ["PostPaid", "PrePaid"] or any(i.get("Status") != "Running" for i in instances):
                raise DemoError(f"expected one running PostPaid and one running PrePaid instance, got {charge_types}")

            self.step("Tear down, converting the subscription to pay-as-you-go so that it can be released")
            self.playbooks(("teardown", {"ecs_teardown_convert_prepaid": True}))
            left = emulator.instances()
            if left:
                raise DemoError(f"{len(left)} instance(s) left after the teardown")
            self.say("no instance left")

            calls = emulator.calls()
            counts: dict[str, int] = {}
            for call in calls:
                counts[call["action"]] = counts.get(call["action"], 0) + 1
            self.step(f"API calls the playbooks made ({len(calls)})")
            self.say(", ".join(f"{action} {count}" for action, count in sorted(counts.items())))
        finally:
            emulator.close()
        self.step("Emulator stopped")
        print(f"\nDemo finished in {time.monotonic() - started:.1f} s.", flush=True)
        self.print_next_steps(emulator)

    @staticmethod
    def print_next_steps(emulator: EmulatorProcess) -> None:
        """Copy-pasteable commands that point your own playbooks at an emulator like the demo's."""
        bin_path = shown_path(bin_dir())
        network = " ".join(f"-e {key}={value}" for key, value in NETWORK_VARS.items() if not isinstance(value, list))
        groups = shlex.quote(json.dumps({"ecs_provision_security_group_ids": NETWORK_VARS["ecs_provision_security_group_ids"]}))
        lines = [
            "",
            "Your own playbooks against the emulator",
            "  The demo's emulator is stopped. Start one in another terminal (Ctrl-C stops it):",
            f"    {bin_path}/ecs-emulator --port {USER_PORT}        # or: make emulator (prints the port it picked)",
            "  Then, from the top of this checkout:",
            f"    export ALICLOUD_ECS_ENDPOINT=http://127.0.0.1:{USER_PORT}",
            f"    export ALICLOUD_ACCESS_KEY={emulator.access_key}",
            f"    export ALICLOUD_SECRET_KEY={emulator.secret_key}",
            f"    export ALICLOUD_REGION={REGION}",
            f"    {bin_path}/ansible-galaxy collection install --force .",
            f"    {bin_path}/ansible-playbook alicloud.ecs.provision_postpaid {network} -e {groups}",
            f"    {bin_path}/ansible-playbook alicloud.ecs.teardown",
            "  The access key and secret are the emulator's public defaults. Unset ALICLOUD_ECS_ENDPOINT",
            "  and set your own keys, and the same playbooks work on Alibaba Cloud.",
        ]
        print("\n".join(lines), flush=True)


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
