"""Creates, on the embedded AWS (or any endpoint boto3 is pointed at), every resource infra/template.yaml declares
that the local runtime needs, and returns the environment the functions would get from the template's Globals.
There is no second copy of the definitions: properties are passed through from the template."""
from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from chorus.local.template import Resolver, load_template

ACCOUNT_ID = "123456789012"
STACK_NAME = "chorus-local"


@dataclass
class Provisioned:
    environment: dict[str, str]
    resources: dict[str, dict[str, str]] = field(default_factory=dict)  # logical id -> {"Ref": ..., attrs}
    template: dict[str, Any] = field(default_factory=dict)


def provision(region: str, template: dict[str, Any] | None = None) -> Provisioned:
    template = template or load_template()
    resolver = Resolver({
        "AWS::Region": region,
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::StackName": STACK_NAME,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    })
    creators: dict[str, Callable[[str, dict[str, Any], Resolver, str], None]] = {
        "AWS::DynamoDB::Table": _table,
        "AWS::SNS::Topic": _topic,
        "AWS::SQS::Queue": _queue,
        "AWS::Cognito::UserPool": _user_pool,
        "AWS::Cognito::UserPoolClient": _user_pool_client,
        "AWS::Cognito::UserPoolGroup": _user_pool_group,
        "AWS::SecretsManager::Secret": _secret,
        "AWS::S3::Bucket": _bucket,
    }
    resources = template.get("Resources", {})
    # Dependencies first: queues before the queues that name them as dead-letter targets, pools before clients.
    order = [
        "AWS::DynamoDB::Table", "AWS::SNS::Topic", "AWS::SQS::Queue",
        "AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolGroup",
        "AWS::SecretsManager::Secret", "AWS::S3::Bucket",
    ]
    for kind in order:
        pending = [(name, spec) for name, spec in resources.items() if spec["Type"] == kind]
        while pending:
            deferred = []
            for name, spec in pending:
                try:
                    creators[kind](name, spec.get("Properties", {}), resolver, region)
                except KeyError:
                    deferred.append((name, spec))  # refers to a resource of the same kind not created yet
            if len(deferred) == len(pending):
                raise RuntimeError(f"cannot resolve references of {[n for n, _ in deferred]}")
            pending = deferred
    variables = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    environment = {k: str(resolver.resolve(v)) for k, v in variables.items()}
    named = {name: {"Ref": resolver.refs[name]} for name in resources if name in resolver.refs}
    for (logical, attribute), value in resolver.attrs.items():
        named.setdefault(logical, {})[attribute] = value
    return Provisioned(environment=environment, resources=named, template=template)


def _table(name: str, props: dict[str, Any], resolver: Resolver, region: str) -> None:
    client = boto3.client("dynamodb", region_name=region)
    table_name = props.get("TableName") or f"{STACK_NAME}-{name}"
    args: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "StreamSpecification"):
        if key in props:
            args[key] = props[key]
    description = client.create_table(**args)["TableDescription"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl)
    resolver.refs[name] = table_name
    resolver.attrs[(name, "Arn")] = description["TableArn"]


def _topic(name: str, props: dict[str, Any], resolver: Resolver, region: str) -> None:
    client = boto3.client("sns", region_name=region)
    arn = client.create_topic(Name=props.get("TopicName") or f"{STACK_NAME}-{name}")["TopicArn"]
    resolver.refs[name] = arn
    resolver.attrs[(name, "TopicArn")] = arn
    resolver.attrs[(name, "TopicName")] = arn.rsplit(":", 1)[1]


def _queue(name: str, props: dict[str, Any], resolver: Resolver, region: str) -> None:
    client = boto3.client("sqs", region_name=region)
    attributes: dict[str, str] = {}
    for key in ("DelaySeconds", "MessageRetentionPeriod", "VisibilityTimeout", "ReceiveMessageWaitTimeSeconds"):
        if key in props:
            attributes[key] = str(props[key])
    if "RedrivePolicy" in props:
        attributes["RedrivePolicy"] = json.dumps(resolver.resolve(props["RedrivePolicy"]))
    queue_name = props.get("QueueName") or f"{STACK_NAME}-{name}"
    url = client.create_queue(QueueName=queue_name, Attributes=attributes)["QueueUrl"]
    arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    resolver.refs[name] = url
    resolver.attrs[(name, "Arn")] = arn
    resolver.attrs[(name, "QueueName")] = queue_name


def _user_pool(name: str, props: dict[str, Any], resolver: Resolver, region: str) -> None:
    client = boto3.client("cognito-idp", region_name=region)
    passed = ("Policies", "AutoVerifiedAttributes", "AdminCreateUserConfig", "UsernameConfiguration")
    args = resolver.resolve({k: v for k, v in props.items() if k in passed})
    pool = client.create_user_pool(PoolName=resolver.resolve(props.get("UserPoolName", name)), **args)["UserPool"]
    resolver.refs[name] = pool["Id"]
    resolver.attrs[(name, "Arn")] = pool["Arn"]
    resolver.attrs[(name, "ProviderName")] = f"cognito-idp.{region}.amazonaws.com/{pool['Id']}"


def _user_pool_client(name: str, props: dict[str, Any], resolver: Resolver, region: str) -> None:
    client = boto3.client("cognito-idp", region_name=region)
    args = resolver.resolve({k: v for k, v in props.items() if k in (
        "ClientName", "GenerateSecret", "ExplicitAuthFlows", "AccessTokenValidity", "IdTokenValidity",
        "TokenValidityUnits", "PreventUserExistenceErrors")})
    created = client.create_user_pool_client(UserPoolId=resolver.resolve(props["UserPoolId"]), **args)["UserPoolClient"]
    resolver.refs[name] = created["ClientId"]


def _secret(name: str, props: dict[str, Any], resolver: Resolver, region: str) -> None:
    """A secret with the value CloudFormation would generate (GenerateSecretString: letters and digits here)."""
    value = props.get("SecretString")
    if value is None:
        length = int(props.get("GenerateSecretString", {}).get("PasswordLength", 32))
        value = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(length))
    client = boto3.client("secretsmanager", region_name=region)
    arn = client.create_secret(Name=props.get("Name") or f"{STACK_NAME}-{name}",
                               Description=props.get("Description", ""), SecretString=value)["ARN"]
    resolver.refs[name] = arn


def _bucket(name: str, props: dict[str, Any], resolver: Resolver, region: str) -> None:
    """A bucket with the template's encryption, public access block, lifecycle and CORS (CloudFormation's property
    names translated to the S3 API's)."""
    client = boto3.client("s3", region_name=region)
    bucket = props.get("BucketName") or f"{STACK_NAME}-{name}".lower()
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    client.create_bucket(Bucket=bucket, **location)
    if "BucketEncryption" in props:
        rules = [{"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
                 for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]]
        client.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": rules})
    if "PublicAccessBlockConfiguration" in props:
        client.put_public_access_block(Bucket=bucket,
                                       PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
    if "LifecycleConfiguration" in props:
        client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={
            "Rules": [_lifecycle_rule(rule) for rule in props["LifecycleConfiguration"]["Rules"]]})
    if "CorsConfiguration" in props:
        names = {"AllowedMethods": "AllowedMethods", "AllowedOrigins": "AllowedOrigins",
                 "AllowedHeaders": "AllowedHeaders", "ExposedHeaders": "ExposeHeaders", "MaxAge": "MaxAgeSeconds"}
        rules = [{names[k]: v for k, v in rule.items() if k in names}
                 for rule in props["CorsConfiguration"]["CorsRules"]]
        client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    resolver.refs[name] = bucket
    resolver.attrs[(name, "Arn")] = f"arn:aws:s3:::{bucket}"


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {"ID": rule["Id"], "Status": rule["Status"],
                                 "Filter": {"Prefix": rule.get("Prefix", "")}}
    if "ExpirationInDays" in rule:
        converted["Expiration"] = {"Days": rule["ExpirationInDays"]}
    if "AbortIncompleteMultipartUpload" in rule:
        converted["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    return converted


def _user_pool_group(name: str, props: dict[str, Any], resolver: Resolver, region: str) -> None:
    client = boto3.client("cognito-idp", region_name=region)
    client.create_group(
        UserPoolId=resolver.resolve(props["UserPoolId"]),
        GroupName=props["GroupName"],
        Description=props.get("Description", ""),
    )
    resolver.refs[name] = props["GroupName"]
