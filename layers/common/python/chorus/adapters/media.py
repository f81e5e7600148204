"""The media bucket (MediaBucket in infra/template.yaml): creators' photos and videos, uploaded by the browser itself.

  hand out an upload ....... presigned POST (no S3 call): the policy pins the key, the exact Content-Type and a
                             content-length-range, and lasts 15 minutes; S3 refuses anything else
  check an upload .......... GetObject of its first 16 bytes: type, whole size (Content-Range) and signature in one
                             request (the API role may list the bucket: without that S3 answers a GET of a missing
                             key with 403, indistinguishable from a denied one)
  keep a submitted upload .. CopyObject uploads/... -> content/... (server side; the bucket expires uploads/)
  show media to editors .... presigned GET (no S3 call)
"""
from __future__ import annotations

import functools
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from chorus.domain.content import SIGNATURE_BYTES, StoredObject

MISSING = {"404", "NoSuchKey", "NotFound"}


class MediaBucket:
    def __init__(self, bucket: str, region: str) -> None:
        self.bucket = bucket
        self.region = region

    @functools.cached_property
    def client(self) -> Any:
        # Signature v4 everywhere: presigned POSTs and GETs in every region, and on the embedded AWS alike.
        return boto3.client("s3", region_name=self.region, config=Config(signature_version="s3v4"))

    def upload_form(self, key: str, content_type: str, max_size: int, expires_in: int) -> tuple[str, dict[str, str]]:
        """The URL and form fields of a browser POST that can store exactly this key, type and size range."""
        form = self.client.generate_presigned_post(
            self.bucket, key, Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_size]], ExpiresIn=expires_in,
        )
        return form["url"], dict(form["fields"])

    def head(self, key: str) -> StoredObject | None:
        """Type, size and first bytes in one ranged GET (ContentRange carries the whole size)."""
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{SIGNATURE_BYTES - 1}")
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in MISSING:
                return None
            if code == "InvalidRange":  # an empty object has no first byte
                return StoredObject(content_type="", size=0)
            raise
        with found["Body"] as body:
            head = body.read()
        total = str(found.get("ContentRange", "")).rpartition("/")[2]
        size = int(total) if total.isdigit() else int(found.get("ContentLength", 0))
        return StoredObject(content_type=found.get("ContentType", ""), size=size, head=head)

    def copy(self, source: str, target: str) -> None:
        self.client.copy_object(Bucket=self.bucket, Key=target, CopySource={"Bucket": self.bucket, "Key": source},
                                MetadataDirective="COPY")

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def download_url(self, key: str, expires_in: int) -> str:
        return self.client.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key},
                                                  ExpiresIn=expires_in)
