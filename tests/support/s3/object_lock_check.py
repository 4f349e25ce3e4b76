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


def main():
    endpoint, what, bucket = sys.argv[1], sys.argv[2], sys.argv[3]
    s3 = client(endpoint)
    if what == "make-bucket":
        s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
        print("created", bucket, "with Object Lock")
        return 0
    prefix = sys.argv[4].rstrip("/") + "/chunks/"
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
    if not listing.get("Contents"):
        print("no chunk under", prefix)
        return 1
    key = listing["Contents"][0]["Key"]
    head = s3.head_object(Bucket=bucket, Key=key)
    retention = s3.get_object_retention(Bucket=bucket, Key=key)["Retention"]
    print("object", key, "version", head.get("VersionId"), "mode", retention["Mode"],
          "until", retention["RetainUntilDate"].isoformat())
    try:
        s3.delete_object(Bucket=bucket, Key=key, VersionId=head["VersionId"])
        print("DELETE-ALLOWED")
        return 1
    except botocore.exceptions.ClientError as e:
        print("DELETE-REFUSED", e.response["Error"]["Code"])
    s3.head_object(Bucket=bucket, Key=key, VersionId=head["VersionId"])  # still there
    return 0 if retention["Mode"] == "COMPLIANCE" else 1


if __name__ == "__main__":
    sys.exit(main())
