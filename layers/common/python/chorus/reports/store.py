"""Where weekly reports are kept: the media bucket (MediaBucket in infra/template.yaml), under `reports/weekly/`, one
JSON and one HTML object per ISO week (`reports/weekly/2026-W49.json`, `.html`). Private like the rest of the
bucket: people read a report through the API or a presigned link (signed here, without a call to S3).

  store a report ........ PutObject reports/weekly/<week>.json|.html   (overwrites: a rebuild replaces it)
  read a report ......... GetObject                                    (missing: None, the route answers 404)
  link for the email .... presigned GET, 7 days"""
from __future__ import annotations

from botocore.exceptions import ClientError

from chorus.aws.media import MISSING, MediaLibrary


class ReportBucket(MediaLibrary):
    def put(self, key: str, body: str, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body.encode("utf-8"), ContentType=content_type)

    def get(self, key: str) -> str | None:
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in MISSING:
                return None
            raise
        with found["Body"] as body:
            return str(body.read().decode("utf-8"))
