"""HTTP transport of the emulator: parsing, auth, faults, idempotency, dispatch,
rendering, call log, control API and persistence (see INTERNALS.md).

Handlers run under ``store.lock``; everything else here (auth, fault decisions,
injected latency) runs outside it so that concurrent clients and in-flight
ClientTokens are observable (reference 8.2).
"""

from __future__ import annotations

import collections
import copy
import json
import os
import socket
import struct
import sys
import tempfile
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

from . import __version__, registry
from .auth import Authenticator, AuthRequest, AuthResult, CredentialTable
from .errors import ApiError, missing_parameter
from .faults import Faults, internal_error
from .params import COMMON_PARAMS, Params
from .identity import MetadataService, describe_issued
from .ratelimit import RateLimiter
from .registry import ECS_VERSION, STS_VERSION, VPC_VERSION, Call

MAX_BODY = 16 * 1024 * 1024
JSON_TYPE = "application/json;charset=utf-8"
XML_TYPE = "text/xml;charset=utf-8"
KNOWN_VERSIONS = {ECS_VERSION: "Ecs", VPC_VERSION: "Vpc", STS_VERSION: "Sts"}
CALL_LOG_LIMIT = 100_000


def new_request_id() -> str:
    return str(uuid.uuid4()).upper()


def iso_now(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%03dZ" % int((now % 1) * 1000)


# ---------------------------------------------------------------- requests and replies


@dataclass
class HttpRequest:
    method: str
    target: str
    headers: dict[str, list[str]]  # lower-case names
    body: bytes

    def header(self, name: str, default: str | None = None) -> str | None:
        values = self.headers.get(name)
        return values[0] if values else default

    @cached_property
    def split(self):
        # Absolute-form targets arrive from clients using HTTP_PROXY (reference 1.2).
        return urlsplit(self.target)

    @property
    def path(self) -> str:
        return self.split.path or "/"

    @property
    def host(self) -> str:
        return self.split.netloc or self.header("host") or "ecs.aliyuncs.com"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    disposition: str = "send"  # "send", "drop" (close, no response) or "reset" (TCP RST)


def json_reply(status: int, data: Any) -> Reply:
    return Reply(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), {"Content-Type": JSON_TYPE})


# ---------------------------------------------------------------- rendering


def _xml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape("" if value is None else str(value))


def _xml_fields(data: dict[str, Any]) -> str:
    parts = []
    for key, value in data.items():
        items = value if isinstance(value, list) else [value]
        for item in items:  # lists render as repeated elements (reference 5.1)
            inner = _xml_fields(item) if isinstance(item, dict) else _xml_value(item)
            parts.append(f"<{key}>{inner}</{key}>")
    return "".join(parts)


def render(body: dict[str, Any], fmt: str, root: str) -> tuple[bytes, str]:
    if fmt == "xml":
        text = f'<?xml version="1.0" encoding="UTF-8"?><{root}>{_xml_fields(body)}</{root}>'
        return text.encode("utf-8"), XML_TYPE
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), JSON_TYPE


# ---------------------------------------------------------------- one API call


@dataclass
class CallContext:
    request: HttpRequest
    request_id: str = field(default_factory=new_request_id)
    now: float = field(default_factory=time.time)
    started: float = field(default_factory=time.perf_counter)
    started_cpu: float = field(default_factory=time.thread_time)  # this thread's CPU: steadier than wall time
    fmt: str = "json"
    params: dict[str, str] = field(default_factory=dict)
    action: str | None = None
    version: str | None = None
    auth: AuthResult | None = None
    fault: str | None = None
    replay: bool = False


class App:
    """The emulator behind the HTTP server; ``handle`` is thread-safe."""

    def __init__(
        self,
        store: Any,
        credentials: CredentialTable | None = None,
        state_file: str | None = None,
        quiet: bool = False,
        log=None,
    ):
        self.store = store
        self.auth = Authenticator(credentials or CredentialTable())
        self.metadata = MetadataService(self.auth.table)  # /_emulator/metadata (identity.py)
        self.faults = Faults()
        self.ratelimit = RateLimiter()  # setting rate_limit (ratelimit.py)
        self.state_file = state_file
        self.quiet = quiet
        self.log = log or sys.stderr
        self.started = time.time()
        self._calls: collections.deque[dict[str, Any]] = collections.deque(maxlen=CALL_LOG_LIMIT)
        self._calls_lock = threading.Lock()
        self._log_lock = threading.Lock()
        self._persist_lock = threading.Lock()
        self._next_token_purge = 0.0

    # -- entry point ------------------------------------------------------
    def handle(self, req: HttpRequest) -> Reply:
        path = req.path
        if path == "/_emulator/metadata" or path.startswith("/_emulator/metadata/"):
            reply = self.metadata.handle(req.method, path[len("/_emulator/metadata") :], req.headers,
                                         self.store.config, time.time())
            return Reply(reply.status, reply.body, {"Content-Type": reply.content_type})
        if path == "/_emulator" or path.startswith("/_emulator/"):
            return self.control(req, path[len("/_emulator/") :].strip("/"))
        return self.api_call(req)

    # -- API calls --------------------------------------------------------
    def api_call(self, req: HttpRequest) -> Reply:
        ctx = CallContext(req)
        try:
            reply = self._process(ctx)
            code = None
        except ApiError as exc:
            reply, code = self._error_reply(ctx, exc), exc.code
        except Exception:  # noqa: BLE001 - any bug must still look like the API
            self._write_log("unexpected error in %s:\n%s" % (ctx.action, traceback.format_exc()))
            reply, code = self._error_reply(ctx, internal_error()), "InternalError"
        self._record(ctx, reply, code)
        return reply

    def _process(self, ctx: CallContext) -> Reply:
        spec = self._admit(ctx)
        self._flow_control(ctx, spec)
        token = self._client_token(spec, ctx.params)
        return self._run(ctx, spec, token)

    def _admit(self, ctx: CallContext) -> registry.ActionSpec:
        """Parse, route, authenticate and authorise: everything before faults apply."""
        req = ctx.request
        ctx.params = self._parse_params(req)
        ctx.fmt = self._format(req, ctx.params)
        if req.method not in ("GET", "POST"):
            raise ApiError("UnsupportedHTTPMethod", "This HTTP method is not supported.", 403)
        if req.path != "/":
            raise action_not_found()
        spec = self._route(ctx)
        ctx.auth = self.auth.verify(self._auth_request(req, ctx.params), self.store.config, ctx.now)
        if spec.mutating and ctx.auth.credential.read_only:
            raise ApiError(
                "Forbidden.RAM",
                "User not authorized to operate on the specified resource, or this API doesn't support RAM.",
                403,
            )
        return spec

    def _flow_control(self, ctx: CallContext, spec: registry.ActionSpec) -> None:
        """Per caller, region and action (setting rate_limit): Throttling.User before anything is done."""
        assert ctx.auth is not None
        cred = ctx.auth.credential
        try:
            self.ratelimit.admit(
                self.store.config["rate_limit"],
                account=cred.account,
                access_key_id=cred.access_key_id,
                region=str(ctx.params.get("RegionId", "")),
                version=spec.version,
                action=spec.name,
            )
        except ApiError:
            ctx.fault = "rate_limit"
            raise

    def _run(self, ctx: CallContext, spec: registry.ActionSpec, token: str | None) -> Reply:
        dry_run = str(ctx.params.get("DryRun", "")).strip().lower() == "true"
        decision = self.faults.decide(spec.version, spec.name, dry_run)
        ctx.fault = decision.label
        kind = decision.rule.kind if decision.rule is not None else None
        if kind in ("error", "reset"):
            self._sleep(decision.latency)
            if kind == "reset":
                return Reply(disposition="reset")
            raise decision.rule.error()
        body = self._execute(ctx, spec, token, decision.latency)
        if kind == "commit_then_drop":
            return Reply(disposition="drop")
        if kind == "commit_then_error":
            raise decision.rule.error()  # InternalError 500 unless the rule names another code
        payload, content_type = render({**body, "RequestId": ctx.request_id}, ctx.fmt, spec.name + "Response")
        return Reply(200, payload, {"Content-Type": content_type})

    def _parse_params(self, req: HttpRequest) -> dict[str, str]:
        # parse_qsl decodes "+" as a space, as the new SDK expects (reference 1.2).
        params = dict(parse_qsl(req.split.query, keep_blank_values=True))
        content_type = (req.header("content-type") or "").lower()
        if req.body and content_type.startswith("application/x-www-form-urlencoded"):
            try:
                text = req.body.decode("utf-8")
            except UnicodeDecodeError:
                raise ApiError("InvalidParameter", "The request body is not valid UTF-8.") from None
            params.update(parse_qsl(text, keep_blank_values=True))
        return params

    def _format(self, req: HttpRequest, params: dict[str, str]) -> str:
        fmt = params.get("Format", "").lower()
        if fmt in ("json", "xml"):
            return fmt
        if (req.header("authorization") or "").startswith("ACS3-") or "json" in (req.header("accept") or ""):
            return "json"
        return str(self.store.config.get("default_format", "XML")).lower()

    def _route(self, ctx: CallContext) -> registry.ActionSpec:
        req, params = ctx.request, ctx.params
        ctx.action = params.get("Action") or req.header("x-acs-action")
        ctx.version = params.get("Version") or req.header("x-acs-version")
        if not ctx.action:
            raise missing_parameter("Action")
        if not ctx.version:
            raise missing_parameter("Version")
        spec = registry.lookup(ctx.version, ctx.action)
        if spec is not None:
            return spec
        if ctx.version not in KNOWN_VERSIONS and ctx.version not in registry.versions():
            raise ApiError("InvalidVersion", "Specified parameter Version is not valid.", 400)
        raise action_not_found()

    @staticmethod
    def _auth_request(req: HttpRequest, params: dict[str, str]) -> AuthRequest:
        query = parse_qsl(req.split.query, keep_blank_values=True)
        return AuthRequest(req.method, req.path, params, query, req.headers, req.body)

    # -- ClientToken idempotency (reference 8.2) ---------------------------
    @staticmethod
    def _client_token(spec: registry.ActionSpec, params: dict[str, str]) -> str | None:
        token = params.get("ClientToken") if spec.client_token else None
        if not token:
            return None
        if len(token) > 64 or not token.isascii():
            raise ApiError("InvalidClientToken.ValueNotSupported", "The ClientToken provided is invalid.", 400)
        return token

    def _execute(self, ctx: CallContext, spec: registry.ActionSpec, token: str | None, latency: float) -> dict:
        op_params = Params(ctx.params)
        key = None
        if token is not None:
            key = json.dumps([ctx.auth.credential.account, ctx.params.get("RegionId", ""), spec.name, token])
            replayed = self._claim_token(key, op_params.raw, ctx.now)
            if replayed is not None:
                ctx.replay = True
                return replayed
        try:
            self._sleep(latency)  # outside the lock: a duplicate sees LastTokenProcessing
            with self.store.lock:
                body = self._run_handler(ctx, spec, op_params)
                if key is not None:
                    self._remember_token(key, op_params.raw, body, ctx.now)
        except BaseException:
            if key is not None:
                with self.store.lock:
                    self.store.tokens.pop(key, None)  # failed first calls are not remembered
            raise
        if spec.mutating:
            self.persist()
        return body

    def _claim_token(self, key: str, op_params: dict[str, str], now: float) -> dict | None:
        with self.store.lock:
            self._purge_tokens(now)
            entry = self.store.tokens.get(key)
            if entry is not None and entry.get("state") == "done" and entry.get("expires", 0) <= now:
                entry = None
            if entry is None:
                self.store.tokens[key] = {"state": "processing", "params": op_params, "created": now}
                return None
            if entry.get("state") != "done":
                raise ApiError("LastTokenProcessing", "The last token request is processing.", 403)
            if entry.get("params") != op_params:
                raise ApiError("IdempotentParameterMismatch", "The request is retried with updated parameters.", 400)
            return copy.deepcopy(entry["response"])

    def _remember_token(self, key: str, op_params: dict[str, str], body: dict, now: float) -> None:
        ttl = float(self.store.config.get("client_token_ttl_seconds", 86400))
        self.store.tokens[key] = {
            "state": "done",
            "params": op_params,
            "response": copy.deepcopy(body),
            "created": now,
            "expires": now + ttl,
        }

    def _purge_tokens(self, now: float) -> None:
        if now < self._next_token_purge:
            return
        self._next_token_purge = now + 60
        expired = [k for k, e in self.store.tokens.items() if e.get("state") == "done" and e.get("expires", 0) <= now]
        for k in expired:
            del self.store.tokens[k]

    def _run_handler(self, ctx: CallContext, spec: registry.ActionSpec, op_params: Params) -> dict:
        cred = ctx.auth.credential
        call = Call(
            spec.version,
            spec.name,
            op_params,
            self.store,
            ctx.request_id,
            ctx.request.host,
            cred.account,
            cred.access_key_id,
            ctx.now,
            extra={"credentials": self.auth.table},  # AssumeRole issues credentials (actions/sts.py)
            blind=cred.blind_reads,
        )
        body = spec.handler(call)
        if not isinstance(body, dict):
            raise TypeError(f"handler {spec.name} returned {type(body).__name__}, not dict")
        return body

    @staticmethod
    def _sleep(seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    # -- errors, call log -----------------------------------------------------
    def _error_reply(self, ctx: CallContext, exc: ApiError) -> Reply:
        product = KNOWN_VERSIONS.get(ctx.version or "", "Ecs")
        body = {
            "RequestId": ctx.request_id,
            "HostId": ctx.request.host,
            "Code": exc.code,
            "Message": exc.message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={exc.code}&product={product}"
            f"&requestId={ctx.request_id}",
        }
        payload, content_type = render(body, ctx.fmt, "Error")
        return Reply(exc.status, payload, {**exc.headers, "Content-Type": content_type})

    def _record(self, ctx: CallContext, reply: Reply, code: str | None) -> None:
        status = reply.status if reply.disposition == "send" else None
        elapsed_ms = (time.perf_counter() - ctx.started) * 1000
        entry = {
            "timestamp": ctx.now,
            "time": iso_now(ctx.now),
            "action": ctx.action,
            "version": ctx.version,
            "parameters": {k: v for k, v in ctx.params.items() if k not in COMMON_PARAMS},
            "status": status,
            "code": code,
            "request_id": ctx.request_id,
            "fault": ctx.fault,
            "replay": ctx.replay,
            "access_key_id": ctx.auth.credential.access_key_id if ctx.auth else ctx.params.get("AccessKeyId"),
            "signature": ctx.auth.style if ctx.auth else None,
            "method": ctx.request.method,
            "duration_ms": round(elapsed_ms, 3),
            "cpu_ms": round((time.thread_time() - ctx.started_cpu) * 1000, 3),
        }
        with self._calls_lock:
            self._calls.append(entry)
        if not self.quiet and self.store.config.get("log_calls", True):
            shown = status if status is not None else reply.disposition
            self._write_log(
                f"{entry['time']} {ctx.action or '-'} {ctx.version or '-'} {shown} "
                f"{code or '-'} {elapsed_ms:.1f}ms" + (f" fault={ctx.fault}" if ctx.fault else "")
            )

    def _write_log(self, line: str) -> None:
        with self._log_lock:
            try:
                self.log.write(line + "\n")
                self.log.flush()
            except (OSError, ValueError):
                pass

    def calls(self, action: str | None = None) -> list[dict[str, Any]]:
        with self._calls_lock:
            return [dict(c) for c in self._calls if action in (None, c["action"])]

    # -- control API -----------------------------------------------------------
    def control(self, req: HttpRequest, name: str) -> Reply:
        routes = {
            ("GET", "health"): self._c_health,
            ("GET", "calls"): self._c_calls,
            ("DELETE", "calls"): self._c_clear_calls,
            ("GET", "instances"): self._c_instances,
            ("POST", "reset"): self._c_reset,
            ("GET", "faults"): self._c_faults,
            ("POST", "faults"): self._c_add_faults,
            ("DELETE", "faults"): self._c_clear_faults,
            ("GET", "config"): self._c_config,
            ("POST", "config"): self._c_update_config,
            ("GET", "state"): self._c_state,
            ("POST", "release"): self._c_release,
            ("POST", "expire"): self._c_expire,
            ("GET", "identity"): self._c_identity,
            ("GET", "ratelimit"): self._c_ratelimit,
        }
        handler = routes.get((req.method, name))
        if handler is None:
            allowed = sorted(m for m, n in routes if n == name)
            if allowed:
                return json_reply(405, {"error": f"method {req.method} not allowed; use {', '.join(allowed)}"})
            return json_reply(404, {"error": f"unknown control endpoint /_emulator/{name}"})
        try:
            return handler(req)
        except ValueError as exc:
            return json_reply(400, {"error": str(exc)})
        except Exception as exc:  # noqa: BLE001
            self._write_log("control API error:\n" + traceback.format_exc())
            return json_reply(500, {"error": f"{type(exc).__name__}: {exc}"})

    @staticmethod
    def _json_body(req: HttpRequest) -> Any:
        if not req.body.strip():
            return {}
        try:
            return json.loads(req.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValueError(f"request body is not valid JSON: {exc}") from None

    def _c_health(self, req: HttpRequest) -> Reply:
        return json_reply(
            200,
            {
                "status": "ok",
                "version": __version__,
                "uptime": round(time.time() - self.started, 3),
                "state_file": self.state_file,
            },
        )

    def _c_calls(self, req: HttpRequest) -> Reply:
        action = dict(parse_qsl(req.split.query)).get("action")
        calls = self.calls(action)
        return json_reply(200, {"calls": calls, "count": len(calls)})

    def _c_clear_calls(self, req: HttpRequest) -> Reply:
        with self._calls_lock:
            self._calls.clear()
        return json_reply(200, {"ok": True})

    def _c_instances(self, req: HttpRequest) -> Reply:
        with self.store.lock:
            instances = self.store.instances_view(time.time())
            payload = json.dumps({"instances": instances}, ensure_ascii=False)
        return Reply(200, payload.encode("utf-8"), {"Content-Type": JSON_TYPE})

    def _c_reset(self, req: HttpRequest) -> Reply:
        with self.store.lock:
            self.store.reset()
        self.faults.clear()
        self.ratelimit.clear()
        self.auth.nonces.clear()
        self.auth.table.clear_issued()
        self.metadata.reset()
        with self._calls_lock:
            self._calls.clear()
        self.persist()
        return json_reply(200, {"ok": True})

    def _c_faults(self, req: HttpRequest) -> Reply:
        return json_reply(200, {"rules": self.faults.describe()})

    def _c_add_faults(self, req: HttpRequest) -> Reply:
        added = self.faults.add(self._json_body(req))
        return json_reply(200, {"added": len(added), "rules": self.faults.describe()})

    def _c_clear_faults(self, req: HttpRequest) -> Reply:
        self.faults.clear()
        return json_reply(200, {"ok": True})

    def _c_config(self, req: HttpRequest) -> Reply:
        with self.store.lock:
            return json_reply(200, {"config": copy.deepcopy(self.store.config)})

    def _c_update_config(self, req: HttpRequest) -> Reply:
        update = self._json_body(req)
        if not isinstance(update, dict):
            raise ValueError("config update must be a JSON object")
        with self.store.lock:
            try:
                self.store.update_config(update)
            except KeyError as exc:
                raise ValueError(exc.args[0] if exc.args else str(exc)) from None
            config = copy.deepcopy(self.store.config)
        self.persist()
        return json_reply(200, {"config": config})

    def _c_release(self, req: HttpRequest) -> Reply:
        """Release instances at once, whatever their state: what the service does when it reclaims a spot
        instance or releases an overdue one (for tests of instances that vanish)."""
        body = self._json_body(req)
        ids = body.get("instance_ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ValueError('expected {"instance_ids": ["i-...", ...]}')
        now = time.time()
        with self.store.lock:
            found = [self.store.instances[i] for i in ids if i in self.store.instances]
            for inst in found:
                self.store.release(inst, now)
        self.persist()
        return json_reply(200, {"released": [i["InstanceId"] for i in found]})

    def _c_expire(self, req: HttpRequest) -> Reply:
        """Let subscriptions reach their end now (time the tests cannot wait for): from then on they are
        expired as reference 8.6 describes (Stopped with a financial lock), unless auto-renewal renews them."""
        body = self._json_body(req)
        ids = body.get("instance_ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ValueError('expected {"instance_ids": ["i-...", ...]}')
        now = time.time()
        with self.store.lock:
            found = [self.store.instances[i] for i in ids if i in self.store.instances]
            subscriptions = [inst for inst in found if inst["InstanceChargeType"] == "PrePaid"]
            for inst in subscriptions:
                inst["ExpiredTs"] = float(int(now) // 60 * 60)  # minute precision, as ExpiredTime has
                self.store.touch(inst, now)
            self.store.live_instances([inst["InstanceId"] for inst in subscriptions], now)
        self.persist()
        return json_reply(200, {"expired": [inst["InstanceId"] for inst in subscriptions]})

    def _c_identity(self, req: HttpRequest) -> Reply:
        """Temporary credentials issued (AssumeRole, metadata; no secrets) and the metadata requests seen."""
        now = time.time()
        return json_reply(200, {"issued": describe_issued(self.auth.table, now), "metadata_requests": list(self.metadata.requests)})

    def _c_ratelimit(self, req: HttpRequest) -> Reply:
        """The flow-control setting and the token buckets in use (caller, region, action, tokens left)."""
        return json_reply(200, {"rate_limit": copy.deepcopy(self.store.config["rate_limit"]),
                                "buckets": self.ratelimit.describe()})

    def _c_state(self, req: HttpRequest) -> Reply:
        with self.store.lock:
            payload = json.dumps(self.store.dump(), ensure_ascii=False)
        return Reply(200, payload.encode("utf-8"), {"Content-Type": JSON_TYPE})

    # -- persistence -------------------------------------------------------------
    def load_state(self) -> bool:
        """Restore from the state file if it exists; in-flight tokens of a dead process are dropped."""
        if not self.state_file or not os.path.exists(self.state_file):
            return False
        with open(self.state_file, encoding="utf-8") as handle:
            data = json.load(handle)
        with self.store.lock:
            self.store.restore(data)
            for key in [k for k, e in self.store.tokens.items() if e.get("state") != "done"]:
                del self.store.tokens[key]
        return True

    def persist(self) -> None:
        """Atomic write: temp file in the same directory, fsync, os.replace."""
        if not self.state_file:
            return
        with self._persist_lock:  # dumps are taken in order, so the last write is the newest
            with self.store.lock:
                text = json.dumps(self.store.dump(), ensure_ascii=False, separators=(",", ":"))
            directory = os.path.dirname(os.path.abspath(self.state_file))
            fd, tmp = tempfile.mkstemp(prefix=".ecs-emulator-state.", dir=directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self.state_file)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise


def action_not_found() -> ApiError:
    return ApiError("InvalidAction.NotFound", "Specified api is not found, please check your url and method.", 404)


# ---------------------------------------------------------------- HTTP plumbing


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Keep-alive clients otherwise wait ~40 ms per call on Nagle + delayed ACK.
    disable_nagle_algorithm = True
    server_version = "ecs-emulator/" + __version__
    sys_version = ""
    timeout = 300  # idle keep-alive connections do not pin a thread forever

    server: "EmulatorHTTPServer"

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        try:
            body = self._read_body()
        except ValueError as exc:
            self.send_error(400, str(exc))
            return
        headers: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        request = HttpRequest(self.command, self.path, headers, body)
        reply = self.server.app.handle(request)
        self._send(reply)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        if not length.strip().isdigit() or int(length) > MAX_BODY:
            raise ValueError("invalid or too large Content-Length")
        return self.rfile.read(int(length))

    def _read_chunked(self) -> bytes:
        chunks, total = [], 0
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline().strip():
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY:
                raise ValueError("request body too large")
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(self, reply: Reply) -> None:
        if reply.disposition == "reset":
            # SO_LINGER 0 makes close() send RST; the server then skips shutdown().
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.server.mark_abort(self.connection)
            self.close_connection = True
            return
        if reply.disposition == "drop":
            self.close_connection = True
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Malformed HTTP must still answer in the API's error shape, never HTML.
        rid = new_request_id()
        error_code = "InvalidRequest" if code < 500 else "InternalError"
        headers = getattr(self, "headers", None)
        body = {
            "RequestId": rid,
            "HostId": (headers.get("Host") if headers else None) or "ecs.aliyuncs.com",
            "Code": error_code,
            "Message": message or "The request is malformed.",
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={error_code}&product=Ecs&requestId={rid}",
        }
        payload = json.dumps(body).encode("utf-8")
        self.close_connection = True
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":
            self.request_version = "HTTP/1.1"  # unparseable line: still answer with status and headers
        try:
            self.send_response(code, message)
            self.send_header("Content-Type", JSON_TYPE)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Connection", "close")
            self.end_headers()
            if getattr(self, "command", None) != "HEAD":
                self.wfile.write(payload)
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # App logs one line per API call itself


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], app: App):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        self._aborts: set[int] = set()
        self._aborts_lock = threading.Lock()
        super().__init__(address, RequestHandler)

    def mark_abort(self, sock: socket.socket) -> None:
        with self._aborts_lock:
            self._aborts.add(id(sock))

    def shutdown_request(self, request: socket.socket) -> None:
        with self._aborts_lock:
            abort = id(request) in self._aborts
            self._aborts.discard(id(request))
        if abort:
            self.close_request(request)  # no FIN first: linger 0 turns close into RST
        else:
            super().shutdown_request(request)

    def handle_error(self, request, client_address) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return  # clients hanging up are normal
        self.app._write_log("connection error:\n" + traceback.format_exc())


def make_server(app: App, host: str = "127.0.0.1", port: int = 0) -> EmulatorHTTPServer:
    return EmulatorHTTPServer((host, port), app)
