#!/usr/bin/python3
"""Object Lock checks with a real, independent S3 client (Debian's
python3-boto3), for the replication e2e tests:

  object_lock_check.py ENDPOINT make-bucket BUCKET
      creates BUCKET with Object Lock enabled
  object_lock_check.py ENDPOINT check BUCKET PREFIX
      for one chunk object under PREFIX/chunks/: prints its retention mode and
      retain-until date, then tries to delete that object version and prints
      DELETE-REFUSED <code> or DELETE-ALLOWED; exit status 0 only when the
      object is in COMPLIANCE mode and the delete was refused
  object_lock_check.py ENDPOINT retention BUCKET PREFIX
      one line per object under PREFIX/ (its current version), sorted by key:
      KEY MODE UNTIL VERSIONS -- MODE is COMPLIANCE/GOVERNANCE or "-", UNTIL
      the retain-until in unix seconds (0 when none), VERSIONS how many
      versions of the key the bucket holds
  object_lock_check.py ENDPOINT try-delete BUCKET KEY
      tries to delete the current version of KEY by its version id; prints
      DELETE-REFUSED <code> (exit 0, the version still reads back) or
      DELETE-ALLOWED (exit 1)

Credentials: testaccesskey / testsecretkey (tests/support/s3/start_rgw.sh).
"""
import sys

import boto3
import botocore.config
import botocore.exceptions


def client(endpoint):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testaccesskey", aws_secret_access_key="testsecretkey",
                        config=botocore.config.Config(s3={"addressing_style": "path"}))


def try_delete(s3, bucket, key):
    """Deletes the current version of key by id; True when S3 refused."""
    version = s3.head_object(Bucket=bucket, Key=key)["VersionId"]
    try:
        s3.delete_object(Bucket=bucket, Key=key, VersionId=version)
        print("DELETE-ALLOWED", key)
        return False
    except botocore.exceptions.ClientError as e:
        print("DELETE-REFUSED", e.response["Error"]["Code"], key)
    s3.head_object(Bucket=bucket, Key=key, VersionId=version)  # still there
    return True


def retention(s3, bucket, prefix):
    versions = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        for v in page.get("Versions", []):
            versions[v["Key"]] = versions.get(v["Key"], 0) + 1
    for key in sorted(versions):
        head = s3.head_object(Bucket=bucket, Key=key)
        mode = head.get("ObjectLockMode", "-")
        until = head.get("ObjectLockRetainUntilDate")
        print(key, mode, int(until.timestamp()) if until else 0, versions[key])


def main():
    endpoint, what, bucket = sys.argv[1], sys.argv[2], sys.argv[3]
    s3 = client(endpoint)
    if what == "make-bucket":
        s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
        print("created", bucket, "with Object Lock")
        return 0
    if what == "retention":
        retention(s3, bucket, sys.argv[4].rstrip("/") + "/")
        return 0
    if what == "try-delete":
        return 0 if try_delete(s3, bucket, sys.argv[4]) else 1
    prefix = sys.argv[4].rstrip("/") + "/chunks/"
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
    if not listing.get("Contents"):
        print("no chunk under", prefix)
        return 1
    key = listing["Contents"][0]["Key"]
    head = s3.head_object(Bucket=bucket, Key=key)
    retention_now = s3.get_object_retention(Bucket=bucket, Key=key)["Retention"]
    print("object", key, "version", head.get("VersionId"), "mode", retention_now["Mode"],
          "until", retention_now["RetainUntilDate"].isoformat())
    refused = try_delete(s3, bucket, key)
    return 0 if refused and retention_now["Mode"] == "COMPLIANCE" else 1


if __name__ == "__main__":
    sys.exit(main())
