"""The whole system on one machine: embedded AWS (moto server on loopback), the resources of
template.yaml, demo data, the built site + API + outbox on one port, the SQS and stream pumps and
the schedules (ScheduleV2 events)."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.local.demo import DEMO_PASSWORD, DemoAccount, load_demo
from infra.local.front import Front, JwtAuthorizer, load_handler
from infra.local.moto_fidelity import make_dynamodb_writes_atomic
from infra.local.pump import PumpThread, SqsPump
from infra.local.resources import LocalResources, create_resources
from infra.local.schedules import SchedulePump, ScheduleTrigger, schedule_triggers
from infra.local.template import REPO_ROOT, api_routes, load_template, queue_triggers
from infra.site_generators.allocation import publish_demo

LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_site(site_dir: Path) -> None:
    subprocess.run(  # noqa: S603 - fixed argv, our own mkdocs
        [sys.executable, "-m", "mkdocs", "build", "--quiet", "--strict", "-f", str(REPO_ROOT / "mkdocs.yml"),
         "-d", str(site_dir)],
        check=True, cwd=REPO_ROOT,
    )


def ses_outbox() -> list[dict[str, Any]]:
    """Mail captured by the embedded SES (same process), oldest first. moto keeps a templated
    send as its template's name and data; it is shown rendered, as SES would render it from the
    template (zhtj.mail.fill_triple_braces): ``body`` the HTML part (what moto keeps of a plain
    send with both bodies), ``text`` the text part."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from zhtj.mail import fill_triple_braces

    messages: list[dict[str, Any]] = []
    for region in ("us-east-1",):
        backend = ses_backends[DEFAULT_ACCOUNT_ID][region]
        for message in backend.sent_messages:
            entry: dict[str, Any] = {"id": message.id, "source": message.source}
            if hasattr(message, "raw_data"):
                entry.update(subject="", body=message.raw_data, to=list(message.destinations))
            elif hasattr(message, "template"):
                template, data = backend.templates[message.template], json.loads(message.template_data)
                entry.update(subject=fill_triple_braces(template["subject_part"], data),
                             body=fill_triple_braces(template["html_part"] or template["text_part"], data),
                             text=fill_triple_braces(template["text_part"], data), template=message.template,
                             to=list(message.destinations.get("ToAddresses", [])))
            else:
                entry.update(subject=message.subject, body=message.body,
                             to=list(message.destinations.get("ToAddresses", [])))
            messages.append(entry)
    return messages


@dataclass
class LocalStack:
    host: str = "127.0.0.1"
    port: int = 8000
    aws_port: int = 0
    site_dir: Path = REPO_ROOT / "build" / "site"
    build: bool = True
    demo: bool = True
    retry_delay_s: int = 1
    schedules: bool = True  # run template.yaml's ScheduleV2 events (infra/local/schedules.py)
    resources: LocalResources | None = None
    accounts: list[DemoAccount] = field(default_factory=list)
    _moto: Any = None
    _front: Front | None = None
    _pumps: list[PumpThread] = field(default_factory=list)
    scheduled: list[ScheduleTrigger] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def aws_url(self) -> str:
        return f"http://{self.host}:{self.aws_port}"

    def start(self) -> LocalStack:
        import boto3
        from moto.server import ThreadedMotoServer

        os.environ.update(LOCAL_CREDENTIALS)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto server's per-request lines
        make_dynamodb_writes_atomic()
        self.aws_port = self.aws_port or free_port()
        self._moto = ThreadedMotoServer(ip_address=self.host, port=self.aws_port, verbose=False)
        self._moto.start()
        session = boto3.session.Session()
        template = load_template()
        self.resources = create_resources(
            session, endpoint_url=self.aws_url, template=template,
            parameters={"Stage": "local", "SiteOrigin": self.url, "SenderEmail": "no-reply@zhtj.local"},
        )
        environment = {**self.resources.environment, "ZHTJ_AWS_ENDPOINT_URL": self.aws_url}
        os.environ.update(environment)

        from zhtj import bootstrap

        bootstrap.reset()
        container = bootstrap.container()
        if self.demo:
            _, self.accounts = load_demo(container.store, container.identity)
            publish_demo(container.site)  # GET /api/allocation/2023 answers from the start
        if self.build:
            build_site(self.site_dir)

        # Import every handler once, before the front's and the pumps' threads start: two
        # threads importing Powertools at the same moment can see a half-initialised module.
        scheduled = schedule_triggers(template) if self.schedules else []
        for handler in ({r.handler for r in api_routes(template)} | {t.handler for t in queue_triggers(template)}
                        | {t.handler for t in scheduled}):
            load_handler(handler)
        pool_id = self.resources.physical("UserPool")
        self._front = Front(
            site_dir=self.site_dir,
            routes=api_routes(template),
            authorizer=JwtAuthorizer(
                issuer=f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}",
                audience=self.resources.physical("UserPoolClient"),
                jwks_url=f"{self.aws_url}/{pool_id}/.well-known/jwks.json",
            ),
            outbox=ses_outbox,
        )
        self.port = self._front.start(self.host, self.port)
        sqs = session.client("sqs", endpoint_url=self.aws_url)
        for trigger in queue_triggers(template):
            pump = SqsPump(
                sqs, trigger,
                queue_url=self.resources.physical(trigger.queue_resource),
                queue_arn=self.resources.attribute(trigger.queue_resource, "Arn"),
                retry_delay_s=self.retry_delay_s,
            )
            pump.start()
            self._pumps.append(pump)
        from infra.local.stream_pump import start_stream_pumps  # the figures consumer (DynamoDB stream)

        self._pumps += start_stream_pumps(session, template, self.resources, endpoint_url=self.aws_url)
        for schedule in scheduled:
            timer = SchedulePump(schedule)
            timer.start()
            self._pumps.append(timer)
        self.scheduled = scheduled
        return self

    def stop(self) -> None:
        for pump in self._pumps:  # ask every pump to stop first, then wait for each: in parallel
            pump.request_stop()
        for pump in self._pumps:
            pump.stop()
        if self._front:
            self._front.stop()
        if self._moto:
            self._moto.stop()

    def summary(self) -> str:
        assert self.resources is not None
        r = self.resources
        lines = [
            "zhtj 本地环境已启动（按 Ctrl-C 停止）",
            f"  网站与控制台   {self.url}/",
            f"  API           {self.url}/api/health",
            f"  本地发件箱     {self.url}/outbox/",
            f"  内嵌 AWS       {self.aws_url}  (moto server)",
            f"  DynamoDB 表    {r.physical('Table')}",
            f"  S3 桶          {r.physical('ArchiveBucket')}",
            f"  上传队列/死信  {r.attribute('UploadQueue', 'QueueName')} / "
            f"{r.attribute('UploadDeadLetterQueue', 'QueueName')}",
            f"  用户池         {r.physical('UserPool')}",
        ]
        if self.scheduled:
            lines.append("  定时任务       " + "；".join(f"{t.function} {t.expression}" for t in self.scheduled))
        if self.accounts:
            lines.append(f"  演示账号（密码均为 {DEMO_PASSWORD}）：")
            lines += [f"    {a.username:<10} {a.description}" for a in self.accounts]
        return "\n".join(lines)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run_forever(stack: LocalStack) -> int:
    signal.signal(signal.SIGTERM, _interrupt)  # stop as cleanly on SIGTERM as on Ctrl-C
    stack.start()
    print(stack.summary(), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\n正在停止……", flush=True)
    finally:
        stack.stop()
    return 0
