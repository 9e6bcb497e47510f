"""The local HTTP front: one server on 127.0.0.1 that serves the built site, the API under
/api/ and the captured-mail outbox under /outbox/.

For /api/ it does what API Gateway's HTTP API does in front of the Lambda function: match the
route declared in template.yaml (most specific first), run the JWT authorizer on routes that
are not public (signature against the user pool's JWKS, issuer, audience = the app client,
expiry), and turn the request into a payload-format-2.0 event for the real handler, with the
verified claims under requestContext.authorizer.jwt.claims."""

from __future__ import annotations

import base64
import html
import importlib
import json
import mimetypes
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from infra.local.headers import LocalHeaders, without
from infra.local.template import ApiRoute

Outbox = Callable[[], list[dict[str, Any]]]


class LambdaContext:
    """The parts of the Lambda context object that Powertools and our handlers read."""

    def __init__(self, function_name: str, timeout_s: int = 29, memory_mb: int = 512) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class JwtAuthorizer:
    """Verifies Cognito ID tokens exactly as the HttpApi JwtConfiguration declares."""

    issuer: str
    audience: str
    jwks_url: str
    _client: Any = field(default=None, init=False)

    def claims(self, authorization: str | None) -> dict[str, Any] | None:
        import jwt

        if not authorization:
            return None
        token = authorization.removeprefix("Bearer ").strip()
        if self._client is None:
            self._client = jwt.PyJWKClient(self.jwks_url, cache_keys=True)
        try:
            key = self._client.get_signing_key_from_jwt(token)
            return dict(
                jwt.decode(
                    token,
                    key.key,
                    algorithms=["RS256"],
                    audience=self.audience,
                    issuer=self.issuer,
                    options={"require": ["exp", "iss", "aud"]},
                )
            )
        except jwt.PyJWTError:
            return None


def load_handler(dotted: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def http_api_event(method: str, raw_path: str, query: str, headers: dict[str, str], body: bytes,
                   route: ApiRoute, claims: dict[str, Any] | None, source_ip: str) -> dict[str, Any]:
    text_types = ("application/json", "text/", "application/x-www-form-urlencoded")
    content_type = headers.get("content-type", "")
    is_text = not body or any(content_type.startswith(t) for t in text_types)
    if is_text and body:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:  # API Gateway base64-encodes what is not valid text
            is_text = False
    route_key = f"{route.method} {route.path}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": headers.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": not is_text,
    }
    if query:
        params: dict[str, str] = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            params[key] = f"{params[key]},{value}" if key in params else value
        event["queryStringParameters"] = params
    if "cookie" in headers:
        event["cookies"] = [c.strip() for c in headers["cookie"].split(";")]
    if body:
        event["body"] = body.decode("utf-8") if is_text else base64.b64encode(body).decode()
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    if "{proxy+}" in route.path:
        prefix = route.path.split("{proxy+}")[0]
        event["pathParameters"] = {"proxy": raw_path[len(prefix):]}
    return event


class Front:
    def __init__(self, *, site_dir: Path, routes: list[ApiRoute], authorizer: JwtAuthorizer,
                 outbox: Outbox | None = None) -> None:
        self.site_dir = site_dir
        self.routes = routes
        self.authorizer = authorizer
        self.outbox = outbox
        # Security headers of every response, by path (infra/local/headers.py: the same rules
        # render the CloudFront policies); the storage origin is the embedded S3 endpoint.
        self.security_headers = LocalHeaders(site_dir)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def execution_lock(self, function: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(function, threading.Lock())

    def route_for(self, method: str, path: str) -> ApiRoute | None:
        for route in self.routes:  # sorted most specific first (template.api_routes)
            if route.matches(method, path):
                return route
        return None

    def start(self, host: str, port: int) -> int:
        front = self

        class Handler(_RequestHandler):
            pass

        Handler.front = front

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # the default backlog of 5 resets bursts of connections

        self._server = Server((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="front", daemon=True)
        self._thread.start()
        return int(self._server.server_address[1])

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()


class _RequestHandler(BaseHTTPRequestHandler):
    front: Front
    protocol_version = "HTTP/1.1"
    server_version = "zhtj-local"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the stack prints its own
        return

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_OPTIONS(self) -> None:
        self._dispatch("OPTIONS")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        if path.startswith("/api/") or path == "/api":
            self._api(method, path, parts.query)
        elif path.startswith("/outbox"):
            self._outbox(path)
        else:
            self._static(method, path)

    # ---------------------------------------------------------------- API
    def _api(self, method: str, path: str, query: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        route = self.front.route_for(method, path)
        if route is None:
            return self._json(HTTPStatus.NOT_FOUND, {"message": "Not Found"})
        headers: dict[str, str] = {}
        for key, value in self.headers.items():
            key = key.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        claims = None
        if not route.public:
            claims = self.front.authorizer.claims(headers.get("authorization"))
            if claims is None:
                return self._json(HTTPStatus.UNAUTHORIZED, {"message": "Unauthorized"})
        event = http_api_event(method, path, query, headers, body, route, claims, self.client_address[0])
        try:
            # One request at a time per function, as in one Lambda execution environment: the
            # handler keeps per-invocation state (the resolver's current event) in a module
            # global, which concurrent threads of this front would otherwise share.
            with self.front.execution_lock(route.function):
                response = load_handler(route.handler)(event, LambdaContext(route.function))
        except Exception as exc:  # what API Gateway answers when the function itself fails
            from zhtj.domain.ids import scrub_resident_ids

            print(scrub_resident_ids(f"function {route.function} failed: {type(exc).__name__}: {exc}"),
                  file=sys.stderr, flush=True)
            return self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"message": "Internal Server Error"})
        status = int(response.get("statusCode", 200))
        payload = response.get("body") or ""
        data = base64.b64decode(payload) if response.get("isBase64Encoded") else payload.encode("utf-8")
        self.send_response(status)
        out_headers = dict(response.get("headers") or {})
        for key, values in (response.get("multiValueHeaders") or {}).items():
            out_headers[key] = ", ".join(values)
        for key, value in without(out_headers, self.front.security_headers.headers_for(path)).items():
            self.send_header(key, str(value))
        for cookie in response.get("cookies") or []:
            self.send_header("Set-Cookie", cookie)
        self._finish(data, method)

    # ---------------------------------------------------------------- outbox
    def _outbox(self, path: str) -> None:
        messages = self.front.outbox() if self.front.outbox else []
        if path.rstrip("/").endswith(".json"):
            return self._json(HTTPStatus.OK, {"messages": messages})
        rows = "".join(
            "<article><h2>{subject}</h2><p>发件人：{source}<br>收件人：{to}</p><pre>{body}</pre></article>".format(
                subject=html.escape(m.get("subject", "")),
                source=html.escape(m.get("source", "")),
                to=html.escape(", ".join(m.get("to", []))),
                body=html.escape(m.get("body", "")),
            )
            for m in reversed(messages)
        ) or "<p>尚无邮件。</p>"
        page = (
            "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>本地发件箱（{len(messages)}）</title></head><body><h1>本地发件箱</h1>"
            "<p>本地环境不会真正发送邮件；系统发出的邮件都保存在这里。</p>"
            f"{rows}</body></html>"
        )
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self._finish(page.encode("utf-8"), "GET")  # no-store: the headers policy's outbox rule

    # ---------------------------------------------------------------- static site
    def _static(self, method: str, path: str) -> None:
        if method not in ("GET", "HEAD"):
            return self._json(HTTPStatus.METHOD_NOT_ALLOWED, {"message": "Method Not Allowed"})
        root = self.front.site_dir.resolve()
        target = (root / unquote(path).lstrip("/")).resolve()
        if not target.is_relative_to(root):
            return self._json(HTTPStatus.NOT_FOUND, {"message": "Not Found"})
        if target.is_dir():
            if not path.endswith("/"):
                self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                self.send_header("Location", path + "/")
                return self._finish(b"", method)
            target = target / "index.html"
        status = HTTPStatus.OK
        if not target.is_file():
            status, target = HTTPStatus.NOT_FOUND, root / "404.html"
        data = target.read_bytes() if target.is_file() else "未找到页面".encode()
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
            content_type += "; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self._finish(data, method)

    # ---------------------------------------------------------------- helpers
    def _json(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self._finish(json.dumps(body, ensure_ascii=False).encode("utf-8"), "GET")

    def _finish(self, data: bytes, method: str) -> None:
        for key, value in self.front.security_headers.headers_for(urlsplit(self.path).path).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(data)
