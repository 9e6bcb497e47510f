"""No boto3 client or resource is created at import time, in any module of the package: a
client made at import escapes moto and is shared across tests (DESIGN.md, known traps)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import ROOT

PROBE = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    import boto3, boto3.session

    made = []
    def refuse(*args, **kwargs):
        made.append(args[:1])
        raise AssertionError(f"boto3 client created at import time: {args[:1]}")

    boto3.client = boto3.resource = refuse
    boto3.session.Session.client = boto3.session.Session.resource = refuse

    import zhtj
    names = [m.name for m in pkgutil.walk_packages(zhtj.__path__, "zhtj.")]
    for name in names:
        importlib.import_module(name)
    print(len(names), "modules imported;", "clients:", made)
    """
)


def test_importing_every_module_creates_no_boto3_client() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                            cwd=ROOT, env={"PYTHONPATH": f"{ROOT / 'functions'}:{ROOT}", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert "clients: []" in result.stdout


def test_api_handler_import_does_not_load_file_readers() -> None:
    """Cold start: the API function must not pay for pypdf/openpyxl/calamine (DESIGN.md)."""
    probe = ("import sys, zhtj.handlers.api, zhtj.handlers.workers; "
             "print(sorted(m for m in ('pypdf','openpyxl','python_calamine') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                            env={"PYTHONPATH": f"{ROOT / 'functions'}:{ROOT}", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_bootstrap_makes_no_client_until_first_use() -> None:
    from zhtj import bootstrap
    from zhtj.settings import Settings

    container = bootstrap.build(Settings(table_name="t", archive_bucket="b", user_pool_id="p",
                                         user_pool_client_id="c"))
    assert container.clients._clients == {}
