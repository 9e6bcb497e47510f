"""Read template.yaml and resolve the intrinsic functions the local stack needs.

The local stack must create exactly what the SAM stack declares, so it reads the resource
properties from the template itself (parsed with cfn-lint's CloudFormation-aware YAML
loader) instead of keeping a second description that could drift."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
LOCAL_ACCOUNT = "123456789012"  # moto's default account


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    from cfnlint.decode import cfn_yaml

    template: dict[str, Any] = _plain(cfn_yaml.load(str(path)))
    return template


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


@dataclass
class Resolver:
    """Resolves Ref / Fn::Sub / Fn::GetAtt against parameters, pseudo parameters and the
    physical ids of resources created so far (``physical``/``attributes``)."""

    template: Mapping[str, Any]
    parameters: dict[str, str]
    region: str = "us-east-1"
    physical: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, spec in self.template.get("Parameters", {}).items():
            if name not in self.parameters and "Default" in spec:
                self.parameters[name] = str(spec["Default"])

    def pseudo(self) -> dict[str, str]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": LOCAL_ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::StackName": f"zhtj-{self.parameters.get('Stage', 'local')}",
            "AWS::URLSuffix": "amazonaws.com",
        }

    def ref(self, name: str) -> str:
        if name in self.parameters:
            return self.parameters[name]
        pseudo = self.pseudo()
        if name in pseudo:
            return pseudo[name]
        if name in self.physical:
            return self.physical[name]
        raise KeyError(f"cannot resolve Ref {name} locally (not created yet?)")

    def get_att(self, resource: str, attribute: str) -> str:
        if (resource, attribute) in self.attributes:
            return self.attributes[(resource, attribute)]
        raise KeyError(f"cannot resolve GetAtt {resource}.{attribute} locally")

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.resolve(v) for v in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, value), = node.items()
            if key == "Ref":
                return self.ref(value)
            if key == "Fn::GetAtt":
                resource, attribute = value if isinstance(value, list) else value.split(".", 1)
                return self.get_att(resource, attribute)
            if key == "Fn::Sub":
                return self._sub(value)
            if key == "Fn::Join":
                separator, parts = value
                return separator.join(str(self.resolve(p)) for p in parts)
        return {k: self.resolve(v) for k, v in node.items()}

    def _sub(self, value: Any) -> str:
        text, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                resource, attribute = name.split(".", 1)
                return self.get_att(resource, attribute)
            return self.ref(name)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)


def resources_of_type(template: Mapping[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        name: spec
        for name, spec in template.get("Resources", {}).items()
        if spec.get("Type") == resource_type
    }


@dataclass(frozen=True)
class ApiRoute:
    """One HttpApi event of a function: what the local front routes like API Gateway."""

    function: str
    handler: str
    method: str
    path: str
    public: bool

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\\\{proxy\\\+\\\}", ".+", re.escape(self.path))
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", regex)
        return re.compile(f"^{regex}$")

    @property
    def specificity(self) -> tuple[int, int, int]:
        """API Gateway picks the most specific match: fewer greedy/variable parts first."""
        greedy = self.path.count("+}")
        variables = self.path.count("{")
        return (greedy, variables, -len(self.path))

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("ANY", method)) and bool(self.pattern.match(path))


def api_routes(template: Mapping[str, Any]) -> list[ApiRoute]:
    routes: list[ApiRoute] = []
    for name, spec in resources_of_type(template, "AWS::Serverless::Function").items():
        props = spec.get("Properties", {})
        for event in props.get("Events", {}).values():
            if event.get("Type") != "HttpApi":
                continue
            eprops = event.get("Properties", {})
            auth = eprops.get("Auth", {}) or {}
            routes.append(
                ApiRoute(
                    function=name,
                    handler=props["Handler"],
                    method=str(eprops.get("Method", "ANY")).upper(),
                    path=eprops["Path"],
                    public=auth.get("Authorizer") == "NONE",
                )
            )
    return sorted(routes, key=lambda r: r.specificity)


@dataclass(frozen=True)
class QueueTrigger:
    function: str
    handler: str
    queue_resource: str
    batch_size: int
    report_batch_item_failures: bool


def queue_triggers(template: Mapping[str, Any]) -> list[QueueTrigger]:
    triggers = []
    for name, spec in resources_of_type(template, "AWS::Serverless::Function").items():
        props = spec.get("Properties", {})
        for event in props.get("Events", {}).values():
            if event.get("Type") != "SQS":
                continue
            eprops = event["Properties"]
            queue = eprops["Queue"]
            resource = queue["Fn::GetAtt"][0] if isinstance(queue, dict) else str(queue)
            triggers.append(
                QueueTrigger(
                    function=name,
                    handler=props["Handler"],
                    queue_resource=resource,
                    batch_size=int(eprops.get("BatchSize", 10)),
                    report_batch_item_failures="ReportBatchItemFailures"
                    in eprops.get("FunctionResponseTypes", []),
                )
            )
    return triggers
