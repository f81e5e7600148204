"""The package for real AWS: `chorus.local.packaging` output, linted, translated to plain CloudFormation (as
CloudFormation itself would, offline) and checked for what the architecture promises. Packages once per module."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chorus.advocacy.content.store import ContentItem, PrecheckListItem, UploadItem
from chorus.advocacy.engagement.store import EngagementItem, ReportSettingsItem
from chorus.advocacy.people.store import PersonItem, PolicyItem, ProgrammeSettingsItem, UsernameItem
from chorus.advocacy.pool.store import LinkItem, NotifyQueueItem, OfferItem, RecipientItem, ShareItem, WatchItem
from chorus.advocacy.store import AdvocacyItem
from chorus.aws.state import StateItem, VersionedStateItem
from chorus.calendar.store import ChannelItem, PostItem
from chorus.http.api import GATEWAY_ERRORS, gateway_error_body
from chorus.listening.sources.store import SourceItem
from chorus.listening.store import AlertItem, CounterItem, MentionItem, SubscriptionItem
from chorus.local.packaging import package
from chorus.local.template import PROJECT_ROOT, load_template
from chorus.platforms.local import OutboxItem
from chorus.publishing.metrics.store import PostMetricsItem

pytestmark = pytest.mark.infra

REGION = "eu-west-1"
ROLES = {"master", "editor", "creator", "publisher", "care", "pr", "viewer"}
DATA_SERVICES = {"dynamodb", "sns", "sqs", "s3", "secretsmanager", "cognito-idp", "events", "scheduler"}
# AWS managed policies a function role may carry: logs and traces only, never data access on "*".
ALLOWED_MANAGED_POLICIES = {"AWSLambdaBasicExecutionRole", "AWSXRayDaemonWriteAccess", "AWSXrayWriteOnlyAccess"}
# Local tools (requirements-dev.txt and what they pull in) that must never reach a Lambda bundle.
LOCAL_ONLY = {
    "moto", "pytest", "_pytest", "hypothesis", "cfn_lint", "cfnlint", "aws_sam_translator", "samtranslator",
    "chalice", "click", "inquirer", "blessed", "readchar", "pyyaml", "yaml", "_yaml", "pip", "setuptools", "wheel",
    "flask", "werkzeug", "responses", "docker",
}
CHALICE_RUNTIME = {"chalice/__init__.py", "chalice/app.py"}  # what chalice itself puts in deployment.zip
SITE_PACKAGES = re.compile(r"^python/(lib/python3\.\d+/site-packages/)?")


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return package(tmp_path_factory.mktemp("build")).parent


@pytest.fixture(scope="module")
def sam(out: Path) -> dict[str, Any]:
    return json.loads((out / "sam.json").read_text())


@pytest.fixture(scope="module")
def cfn(sam: dict[str, Any]) -> dict[str, Any]:
    """The template as CloudFormation runs it after the SAM transform (no AWS calls)."""
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:  # the real loader asks IAM; only names in `Policies` would need it
        def load(self) -> dict[str, str]:
            return {}

    template = json.loads(json.dumps(sam))
    for resource in template["Resources"].values():  # what `aws cloudformation package` does to local paths
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                properties[key] = f"s3://chorus-artifacts/{properties[key].removeprefix('./')}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", REGION)  # the translator reads the region for AWS::Region
        return transform(template, {}, NoManagedPolicies())


def resources(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == type_}


def keys(key_schema: list[dict[str, str]]) -> dict[str, str]:
    return {key["KeyType"]: key["AttributeName"] for key in key_schema}


def bundle_names(out: Path) -> Iterator[tuple[str, str]]:
    """(bundle, path inside it) for every file that goes to Lambda."""
    for bundle in ("deployment.zip", "layer-deployment.zip"):
        with zipfile.ZipFile(out / bundle) as archive:
            yield from ((bundle, name) for name in archive.namelist())
    for folder in ("layers", "functions"):
        for path in (out / folder).rglob("*"):
            if path.is_file():
                yield folder, path.relative_to(out / folder).as_posix()


def statements(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        found = node.get("Statement")
        if isinstance(found, (list, dict)):
            yield from found if isinstance(found, list) else [found]
        for value in node.values():
            yield from statements(value)
    elif isinstance(node, list):
        for value in node:
            yield from statements(value)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# ---------------------------------------------------------------------------------------------------- template
def test_cfn_lint_finds_no_errors(out: Path) -> None:
    from cfnlint.api import lint

    findings = lint((out / "sam.json").read_text(), regions=[REGION])
    for finding in findings:
        if not finding.rule.id.startswith("E"):
            warnings.warn(f"cfn-lint {finding.rule.id}: {finding.message} ({finding.path})", stacklevel=1)
    errors = [str(f) for f in findings if f.rule.id.startswith("E")]
    assert not errors, "\n".join(errors)


def test_every_code_path_in_the_template_is_in_the_output(out: Path, sam: dict[str, Any]) -> None:
    paths = [
        properties[key]
        for properties in (r.get("Properties", {}) for r in sam["Resources"].values())
        for key in ("CodeUri", "ContentUri")
        if isinstance(properties.get(key), str)
    ]
    assert paths and [p for p in paths if not (out / p).exists()] == []
    assert (out / "layers/common/python/chorus/__init__.py").is_file()  # the layer is mounted at /opt/python


def test_tables_are_on_demand_encrypted_and_recoverable(cfn: dict[str, Any]) -> None:
    tables = resources(cfn, "AWS::DynamoDB::Table")
    assert set(tables) == {"PostsTable", "ChannelsTable", "OutboxTable", "StateTable", "MentionsTable", "AlertsTable",
                           "SourcesTable", "SubscriptionsTable", "AdvocacyTable", "PostMetricsTable"}
    posts, channels = tables["PostsTable"]["Properties"], tables["ChannelsTable"]["Properties"]
    assert keys(posts["KeySchema"]) == {"HASH": "id"}
    assert {index["IndexName"] for index in posts["GlobalSecondaryIndexes"]} == {"calendar", "by_status", "due"}
    assert keys(channels["KeySchema"]) == {"HASH": "org", "RANGE": "id"}
    assert keys(tables["OutboxTable"]["Properties"]["KeySchema"]) == {"HASH": "channel_id", "RANGE": "key"}
    for table in tables.values():
        properties = table["Properties"]
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert properties["SSESpecification"]["SSEEnabled"] is True
        assert table.get("DeletionPolicy") == "Retain"


def test_one_user_pool_with_a_client_and_a_group_per_role(cfn: dict[str, Any]) -> None:
    (pool,) = resources(cfn, "AWS::Cognito::UserPool")
    clients = resources(cfn, "AWS::Cognito::UserPoolClient").values()
    assert [c["Properties"]["UserPoolId"] for c in clients] == [{"Ref": pool}]
    groups = [g["Properties"] for g in resources(cfn, "AWS::Cognito::UserPoolGroup").values()]
    assert sorted(g["GroupName"] for g in groups) == sorted(ROLES)
    assert all(g["UserPoolId"] == {"Ref": pool} for g in groups)


def test_every_function_gets_the_common_layer_for_its_runtime(cfn: dict[str, Any]) -> None:
    layers = resources(cfn, "AWS::Lambda::LayerVersion")
    functions = resources(cfn, "AWS::Lambda::Function")
    assert "APIHandler" in functions
    for name, function in functions.items():
        used = [ref["Ref"] for ref in function["Properties"].get("Layers", [])]
        assert any(layer.startswith("CommonLayer") for layer in used), f"{name} lacks CommonLayer: {used}"
        for layer in used:
            assert function["Properties"]["Runtime"] in layers[layer]["Properties"]["CompatibleRuntimes"], name
    api_layers = [ref["Ref"] for ref in functions["APIHandler"]["Properties"]["Layers"]]
    assert any(layer.startswith("ManagedLayer") for layer in api_layers), "chalice's layer of requirements.txt"


def test_no_policy_grants_data_service_wildcards(cfn: dict[str, Any]) -> None:
    problems = []
    for name, resource in cfn["Resources"].items():
        for statement in statements(resource.get("Properties", {})):
            if statement.get("Effect") != "Allow":
                continue
            if "NotAction" in statement or "NotResource" in statement:
                problems.append(f"{name}: NotAction/NotResource in {statement}")
            actions = [a for a in as_list(statement.get("Action", [])) if isinstance(a, str)]
            data = [a for a in actions if a == "*" or a.split(":", 1)[0].lower() in DATA_SERVICES]
            problems += [f"{name}: wildcard action {a}" for a in data if "*" in a]
            if data and "*" in as_list(statement.get("Resource")):
                problems.append(f"{name}: {data} on Resource '*'")
        for arn in as_list(resource.get("Properties", {}).get("ManagedPolicyArns", [])):
            policy = re.search(r":policy/(?:.*/)?([\w+=,.@-]+)$", json.dumps(arn).strip('"}'))
            if not policy or policy.group(1) not in ALLOWED_MANAGED_POLICIES:
                problems.append(f"{name}: managed policy {arn}")
    assert not problems, "\n".join(problems)


def test_api_stage_is_throttled(cfn: dict[str, Any]) -> None:
    (stage,) = resources(cfn, "AWS::ApiGateway::Stage").values()
    settings = {(s["ResourcePath"], s["HttpMethod"]): s for s in stage["Properties"]["MethodSettings"]}
    assert settings[("/*", "*")]["ThrottlingRateLimit"] > 0
    assert settings[("/*", "*")]["ThrottlingBurstLimit"] > 0


@pytest.mark.parametrize(("model", "table"), [
    (PostItem, "PostsTable"), (ChannelItem, "ChannelsTable"), (OutboxItem, "OutboxTable"), (StateItem, "StateTable"),
    (MentionItem, "MentionsTable"), (AlertItem, "AlertsTable"), (SourceItem, "SourcesTable"),
    (SubscriptionItem, "SubscriptionsTable"), (CounterItem, "StateTable"), (VersionedStateItem, "StateTable"),
    (AdvocacyItem, "AdvocacyTable"), (EngagementItem, "AdvocacyTable"), (ReportSettingsItem, "AdvocacyTable"),
    (PersonItem, "AdvocacyTable"), (UsernameItem, "AdvocacyTable"), (PolicyItem, "AdvocacyTable"),
    (ProgrammeSettingsItem, "AdvocacyTable"), (ContentItem, "AdvocacyTable"), (UploadItem, "AdvocacyTable"),
    (PrecheckListItem, "AdvocacyTable"), (OfferItem, "AdvocacyTable"), (RecipientItem, "AdvocacyTable"),
    (LinkItem, "AdvocacyTable"), (NotifyQueueItem, "AdvocacyTable"), (ShareItem, "AdvocacyTable"),
    (WatchItem, "AdvocacyTable"), (PostMetricsItem, "PostMetricsTable"),
])
def test_models_read_the_keys_and_indexes_the_template_defines(model: Any, table: str) -> None:
    defined = load_template()["Resources"][table]["Properties"]
    schema = model._get_schema()  # PynamoDB's CreateTable view of the model
    assert keys(schema["key_schema"]) == keys(defined["KeySchema"])
    assert {i["index_name"]: keys(i["key_schema"]) for i in schema["global_secondary_indexes"]} == {
        i["IndexName"]: keys(i["KeySchema"]) for i in defined.get("GlobalSecondaryIndexes", [])
    }
    assert {i["index_name"]: i["projection"] for i in schema["global_secondary_indexes"]} == {
        i["IndexName"]: i["Projection"] for i in defined.get("GlobalSecondaryIndexes", [])
    }
    types = {a["AttributeName"]: a["AttributeType"] for a in defined["AttributeDefinitions"]}
    assert {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]} == types
    assert schema["local_secondary_indexes"] == [] and "LocalSecondaryIndexes" not in defined


# ---------------------------------------------------------------------------------------------------- bundles
def test_no_local_tool_or_local_code_reaches_lambda(out: Path) -> None:
    shipped = []
    for bundle, name in bundle_names(out):
        top = SITE_PACKAGES.sub("", name).split("/", 1)[0]
        top = re.split(r"-\d", top, maxsplit=1)[0].removesuffix(".py").lower().replace("-", "_")
        if top == "chalice" and bundle == "deployment.zip" and name in CHALICE_RUNTIME:
            continue
        if top in LOCAL_ONLY or "chorus/local/" in name:
            shipped.append(f"{bundle}: {name}")
    assert not shipped, "\n".join(shipped)


def test_every_pinned_requirement_is_in_the_managed_layer(out: Path) -> None:
    def normal(name: str) -> str:
        return re.sub(r"[-_.]+", "_", name).lower()

    pins = [line.split("==") for line in _requirement_lines()]
    with zipfile.ZipFile(out / "layer-deployment.zip") as archive:
        installed = {
            normal(m.group(1)) + "==" + m.group(2)
            for m in (re.search(r"/([^/]+)-([^-/]+)\.dist-info/METADATA$", n) for n in archive.namelist())
            if m
        }
    missing = [f"{n}=={v}" for n, v in pins if f"{normal(n.split('[')[0])}=={v}" not in installed]
    assert not missing, f"chalice left these out (no Lambda-compatible wheel?): {missing}"


def test_requirements_are_pinned_runtime_packages_only() -> None:
    local_tools = {"moto", "pytest", "hypothesis", "cfn-lint", "aws-sam-translator", "chalice"}
    for line in _requirement_lines():
        assert re.fullmatch(r"[A-Za-z0-9._-]+(\[[A-Za-z0-9._,-]+\])?==[A-Za-z0-9.+!-]+", line), line
        assert re.sub(r"[-_.]+", "-", line.split("[")[0].split("==")[0]).lower() not in local_tools, line


def test_api_handler_imports_from_the_bundles_alone(out: Path, tmp_path: Path) -> None:
    """As Lambda runs it: the API zip, then the layers under /opt/python, nothing from this virtualenv."""
    for bundle in ("deployment.zip", "layer-deployment.zip"):
        with zipfile.ZipFile(out / bundle) as archive:
            archive.extractall(tmp_path / bundle)
    path = [
        tmp_path / "deployment.zip",
        out / "layers/common/python",
        *(tmp_path / "layer-deployment.zip/python/lib").glob("python3.*/site-packages"),
    ]
    code = (
        f"import sys, time; sys.path[:0] = {[str(p) for p in path]!r}; started = time.perf_counter(); import app; "
        "print(round(time.perf_counter() - started, 3))"
    )
    # -I -S: no site-packages, no user paths; -B: Lambda cannot write bytecode either.
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", code], capture_output=True, text=True, timeout=60,
        env={"AWS_DEFAULT_REGION": REGION, "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    print(f"app.py imported from the bundles in {result.stdout.strip()} s")


def _requirement_lines() -> list[str]:
    lines = (PROJECT_ROOT / "requirements.txt").read_text().splitlines()
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


def test_every_queue_has_a_dead_letter_queue_with_an_alarm_and_every_async_function_a_dlq(cfn: dict[str, Any]) -> None:
    queues = resources(cfn, "AWS::SQS::Queue")
    alarmed = {
        alarm["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in resources(cfn, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("Namespace") == "AWS/SQS"
    }
    dead_letter_targets = {
        q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for q in queues.values() if "RedrivePolicy" in q["Properties"]
    }
    functions = resources(cfn, "AWS::Lambda::Function")
    function_dlqs = {
        f["Properties"]["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][0]
        for f in functions.values() if "DeadLetterConfig" in f["Properties"]
    }
    work_queues = set(queues) - dead_letter_targets - function_dlqs
    assert work_queues and all("RedrivePolicy" in queues[q]["Properties"] for q in work_queues)
    assert dead_letter_targets | function_dlqs <= alarmed
    scheduled = [name for name, r in resources(cfn, "AWS::Events::Rule").items()]
    assert scheduled, "the publisher runs on a schedule"
    for rule in resources(cfn, "AWS::Events::Rule").values():
        target = rule["Properties"]["Targets"][0]["Arn"]["Fn::GetAtt"][0]
        assert "DeadLetterConfig" in functions[target]["Properties"], (
            f"{target} is invoked asynchronously without a DLQ")
    for name, schedule in resources(cfn, "AWS::Scheduler::Schedule").items():
        target = schedule["Properties"]["Target"]
        assert "DeadLetterConfig" in target, f"{name} has no dead-letter queue"
        assert "DeadLetterConfig" in functions[target["Arn"]["Fn::GetAtt"][0]]["Properties"]


def test_the_media_bucket_is_private_encrypted_tls_only_and_forgets_unsubmitted_uploads(cfn: dict[str, Any]) -> None:
    (name,) = resources(cfn, "AWS::S3::Bucket")
    bucket = cfn["Resources"][name]
    properties = bucket["Properties"]
    assert bucket.get("DeletionPolicy") == "Retain"
    assert set(properties["PublicAccessBlockConfiguration"].values()) == {True}
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    rules = {rule["Id"]: rule for rule in properties["LifecycleConfiguration"]["Rules"]}
    expire = rules["ExpireUnsubmittedUploads"]
    assert expire["Prefix"] == "uploads/" and expire["ExpirationInDays"] >= 1
    assert rules["AbortIncompleteMultipartUploads"]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] >= 1
    assert properties["CorsConfiguration"]["CorsRules"][0]["AllowedMethods"] == ["POST"]
    (policy,) = resources(cfn, "AWS::S3::BucketPolicy").values()
    (deny,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": False}}
    # The API may write and read uploads, submitted content and weekly reports, delete only uploads, and nothing else
    # in the bucket.
    granted = {
        json.dumps(statement["Resource"], sort_keys=True): sorted(as_list(statement["Action"]))
        for statement in statements(cfn["Resources"]["ApiHandlerRole"]["Properties"])
        if any(str(a).startswith("s3:") for a in as_list(statement["Action"]))
    }
    assert sorted(granted.values()) == [["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                                        ["s3:GetObject", "s3:PutObject"], ["s3:GetObject", "s3:PutObject"],
                                        ["s3:ListBucket"]]
    assert sorted(resource for resource, actions in granted.items() if "s3:DeleteObject" not in actions
                  and "s3:PutObject" in actions) == [
        json.dumps({"Fn::Sub": f"${{{name}.Arn}}/{prefix}/*"}) for prefix in ("content", "reports")]
    assert all(name in resource for resource in granted)


def test_api_gateways_own_answers_are_the_apis_error_shape_with_fixed_texts(cfn: dict[str, Any]) -> None:
    """Issue 11 item 6: what API Gateway answers itself (an unknown route, throttling, a refused or failed request)
    is the API's error shape, the same as the local runtime answers, and never API Gateway's own message, which can
    echo the Authorization header."""
    (api,) = resources(cfn, "AWS::ApiGateway::RestApi").values()
    answers = api["Properties"]["Body"]["x-amazon-apigateway-gateway-responses"]  # SAM puts them in the definition
    assert set(answers) == set(GATEWAY_ERRORS)
    for kind, (status, _, _) in GATEWAY_ERRORS.items():
        template = answers[kind]["responseTemplates"]["application/json"]
        assert json.loads(template) == json.loads(gateway_error_body(kind)) and "$context" not in template
        assert answers[kind].get("statusCode") == (str(status) if status else None)
