# Sourced by e2e scripts that replicate to S3: a throwaway Ceph RGW under
# $W/rgw (tests/support/s3/start_rgw.sh), with the test credentials. Needs $W.
#   rgw_start   start it; sets EP (its http:// endpoint) and S3CMD (an s3cmd
#               command for it), writes $W/s3.toml (the credentials file
#               `cairnctl target add --s3-credentials` takes); status 0 when up,
#               else $W/rgw.err says why
#   rgw_stop    stop it by the PIDs start_rgw.sh recorded (safe if never started)
S3SUP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../support/s3" && pwd)

rgw_start() {
  bash "$S3SUP/start_rgw.sh" "$W/rgw" > "$W/rgw.out" 2> "$W/rgw.err" || return 1
  EP=$(sed -n 's/^ENDPOINT=\([^ ]*\).*/\1/p' "$W/rgw.out")
  S3CMD=(s3cmd -c /dev/null --access_key=testaccesskey --secret_key=testsecretkey
         --host="${EP#http://}" --host-bucket="${EP#http://}" --no-ssl --region=us-east-1)
  printf 'access_key = "testaccesskey"\nsecret_key = "testsecretkey"\n' > "$W/s3.toml" \
    && chmod 600 "$W/s3.toml"
}

rgw_stop() { bash "$S3SUP/stop_rgw.sh" "$W/rgw" > /dev/null 2>&1; }
