"""A throwaway S3-compatible store (moto's server) on a free local port, checking signatures.

Moto accepts any request until told otherwise; here it is told to authenticate every request
once the lake's user, key and bucket exist, so a wrong secret key is refused as real S3 would
(``SignatureDoesNotMatch``).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
BUCKET = "datalabs-lake"
_BOOT_KEY = {"aws_access_key_id": "boot", "aws_secret_access_key": "boot"}
_FULL_S3 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


@dataclass(frozen=True)
class S3Server:
    endpoint: str  # http://127.0.0.1:<port>
    key_id: str
    secret_key: str

    def env(self) -> dict[str, str]:
        """The variables a deployment sets for its object storage."""
        return {
            "AWS_ACCESS_KEY_ID": self.key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": REGION,
            "DATALABS_S3_ENDPOINT": self.endpoint,
        }

    def keys(self, prefix: str) -> list[str]:
        """The object keys under ``prefix`` in the bucket."""
        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=self.key_id,
            aws_secret_access_key=self.secret_key,
        )
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        return [o["Key"] for page in pages for o in page.get("Contents", [])]


def _require_authentication(endpoint: str, after: str) -> None:
    """Moto's own switch: authenticate every request after the first ``after`` (``inf``: none)."""
    request = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth",
        data=after.encode(),
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


@contextmanager
def s3_server() -> Iterator[S3Server]:
    """Start moto on 127.0.0.1, make a user allowed all of S3, its key and ``BUCKET``; then
    authenticate every request. Stopped (and moto's switch reset) on the way out."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        clients = {"endpoint_url": endpoint, "region_name": REGION, **_BOOT_KEY}
        iam = boto3.client("iam", **clients)
        iam.create_user(UserName="lake")
        iam.put_user_policy(UserName="lake", PolicyName="s3", PolicyDocument=json.dumps(_FULL_S3))
        key = iam.create_access_key(UserName="lake")["AccessKey"]
        boto3.client("s3", **clients).create_bucket(Bucket=BUCKET)
        _require_authentication(endpoint, "0")
        yield S3Server(endpoint, key["AccessKeyId"], key["SecretAccessKey"])
    finally:
        _require_authentication(endpoint, "inf")
        server.stop()
