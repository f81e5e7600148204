"""The media library (the MediaBucket in infra/template.yaml) as the calendar and the publisher use it: a thumbnail
link (a presigned GET, signed here without calling S3), what a file is (type and size: one HeadObject), and a file's
bytes for an upload to a platform (one GetObject).

Reading for the publisher maps S3's answers to the publisher's outcomes: a file that is not there is a
PermanentFailure (a retry will not bring it back), any other failure a TransientFailure (nothing was posted yet, so a
retry is safe)."""
from __future__ import annotations

import functools
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chorus.platforms.base import PermanentFailure, TransientFailure

MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


class MediaLibrary:
    def __init__(self, bucket: str, region: str) -> None:
        self.bucket = bucket
        self.region = region

    @functools.cached_property
    def client(self) -> Any:
        # Signature v4 everywhere: presigned GETs work in every region, and on the embedded AWS alike.
        return boto3.client("s3", region_name=self.region, config=Config(signature_version="s3v4"))

    def link(self, key: str, expires_in: int) -> str:
        return str(self.client.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key},
                                                      ExpiresIn=expires_in))

    def describe(self, key: str) -> tuple[str, int] | None:
        """(content type, size in bytes) of a file, or None when the library has no such file."""
        try:
            found = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in MISSING:
                return None
            raise
        return str(found.get("ContentType") or ""), int(found.get("ContentLength") or 0)

    def read(self, key: str) -> tuple[bytes, str]:
        """A file's bytes and content type, for an upload to a platform."""
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=key)
            with found["Body"] as body:
                return body.read(), str(found.get("ContentType") or "application/octet-stream")
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in MISSING:
                raise PermanentFailure(f"the file {key} is no longer in the media library") from None
            raise TransientFailure(f"the media library could not be read ({code})") from None
        except BotoCoreError as error:
            raise TransientFailure(f"the media library could not be read ({type(error).__name__})") from None
