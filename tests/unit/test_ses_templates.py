"""The SES templates in template.yaml are the package's e-mail templates (one source of truth,
infra/deploy/ses_templates.py), and what SES renders from them and SesMailer's TemplateData is
what zhtj.mail.render() renders — the escaping included, since the templates insert every value
with triple braces and all escaping is ours."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.deploy import ses_templates as st
from infra.local.template import TEMPLATE_PATH, load_template, resources_of_type
from zhtj.adapters.ses import SesMailer
from zhtj.mail import TRIPLE_BRACES, Alternatives, Value, fill_triple_braces, html_list, names, render, text_list

NASTY = '<script>alert("x")</script> & \'quotes\' "too"\n  second line\tand {{braces}} ${dollar}'
ITEMS = ["<b>甲</b> & 乙", '“丙” "q"', "丁\n换行"]
URL = "https://zhtj.example.org/console/approve.html#t=abc&x=<1>"


def _identifiers(name: str) -> set[str]:
    parts = st.template_resources()[st.logical_id(name)]["Properties"]["Template"]
    keys = {key for part in ("SubjectPart", "TextPart", "HtmlPart") for key in _keys(parts[part])}
    return {key.removesuffix("__subject").removesuffix("__html") for key in keys}


def _keys(part: str) -> list[str]:
    return TRIPLE_BRACES.findall(part)


def _value_sets(name: str) -> list[dict[str, Value]]:
    """Plain strings everywhere; then Alternatives everywhere (lists and links, as the callers pass)."""
    keys = sorted(_identifiers(name))
    plain: dict[str, Value] = {key: f"{key}: {NASTY}" for key in keys}
    alternatives: dict[str, Value] = {
        key: (Alternatives(text=text_list(ITEMS), html=html_list(ITEMS)) if i % 2 else
              Alternatives(text=URL, html=f'<a href="{URL.replace("&", "&amp;").replace("<", "&lt;")}">打开</a>'))
        for i, key in enumerate(keys)}
    return [plain, alternatives, {key: "" for key in keys}]


def _template_yaml_parts() -> dict[str, dict[str, Any]]:
    return {spec["Properties"]["Template"]["TemplateName"]["Fn::Sub"].removeprefix(st.NAME_PREFIX):
            spec["Properties"]["Template"]
            for spec in resources_of_type(load_template(), "AWS::SES::Template").values()}


def test_the_template_block_is_generated_from_the_package_files() -> None:
    current = st.BLOCK.current(TEMPLATE_PATH.read_text(encoding="utf-8"))
    assert current == st.render_block(), "template.yaml's SES templates are stale: run `make ses-templates`"
    assert sorted(_template_yaml_parts()) == names()


@pytest.mark.parametrize("name", names())
def test_what_ses_renders_from_the_template_is_what_render_gives(name: str) -> None:
    parts = _template_yaml_parts()[name]
    for values in _value_sets(name):
        rendered = render(name, values)
        data = json.loads(json.dumps(dict(rendered.data)))  # as SesMailer sends it
        assert fill_triple_braces(parts["SubjectPart"], data) == rendered.subject
        assert fill_triple_braces(parts["TextPart"], data) == rendered.text
        assert fill_triple_braces(parts["HtmlPart"], data) == rendered.html
        # Only what the template uses is sent, and nothing it uses is missing.
        used = {key for part in ("SubjectPart", "TextPart", "HtmlPart") for key in _keys(parts[part])}
        assert set(data) == used


def test_escaping_stays_ours() -> None:
    values: dict[str, Value] = {key: NASTY for key in _identifiers("approval_request")}
    values["link"] = Alternatives(text=URL, html='<a href="x">打开</a>')
    rendered = render("approval_request", values)
    assert "<script>" in rendered.text and "<script>" not in rendered.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quotes&#x27;" in rendered.html
    assert '<a href="x">打开</a>' in rendered.html and "\n" not in rendered.subject
    assert rendered.data["link__html"] == '<a href="x">打开</a>' and rendered.data["link"] == URL
    assert "{{braces}}" in rendered.html and "${dollar}" in rendered.text  # values are never parsed again


def test_names_and_permissions_follow_the_stage() -> None:
    template = load_template()
    prefix = template["Globals"]["Function"]["Environment"]["Variables"]["ZHTJ_MAIL_TEMPLATE_PREFIX"]
    assert prefix == {"Fn::Sub": st.NAME_PREFIX}
    for name, spec in template["Resources"].items():
        for policy in spec.get("Properties", {}).get("Policies", []):
            for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
                if "ses" not in str(statement.get("Action")):
                    continue
                assert statement["Action"] == "ses:SendTemplatedEmail", name  # nothing unused
                resources = [r["Fn::Sub"] for r in statement["Resource"]]
                assert any(r.endswith(":template/" + st.NAME_PREFIX + "*") for r in resources), name
                assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": {"Ref": "SenderEmail"}}}


class _Client:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def send_templated_email(self, **kwargs: Any) -> dict[str, str]:
        self.calls.append(kwargs)
        return {"MessageId": "m-1"}


class _Clients:
    def __init__(self, client: _Client) -> None:
        self._client = client

    def client(self, service: str) -> _Client:
        assert service == "ses"
        return self._client


def test_the_mailer_sends_the_stage_template_with_the_rendered_values() -> None:
    fake = _Client()
    mailer = SesMailer(_Clients(fake), "no-reply@zhtj.example.org", "zhtj-prod-")  # type: ignore[arg-type]
    message = render("digest_org", _value_sets("digest_org")[0])
    assert mailer.send("a@example.org", message) == "m-1"
    (call,) = fake.calls
    assert call["Template"] == "zhtj-prod-digest_org" and call["Source"] == "no-reply@zhtj.example.org"
    assert call["Destination"] == {"ToAddresses": ["a@example.org"]}
    assert json.loads(call["TemplateData"]) == dict(message.data)
