# Run inside the worker image's root file system by mmdebstrap (deploy/image/build): the virtualenv with
# the pinned dependencies, the `lienthong` command, the probe, the user and the data volume.
# Argument: the user id of the worker. Files come in /tmp/build (requirements.txt, constraints.txt).
set -eu
uid="$1"
python3 -m venv /opt/lienthong/venv
if [ -f /tmp/build/build-ca.crt ]; then export PIP_CERT=/tmp/build/build-ca.crt; fi
/opt/lienthong/venv/bin/pip install --no-cache-dir --disable-pip-version-check -q \
  -r /tmp/build/requirements.txt -c /tmp/build/constraints.txt
# every compiled dependency loads (rocksdict needs libstdc++): a missing system library fails the build here
/opt/lienthong/venv/bin/python -c 'import aiohttp, aiokafka, kafka, pydantic, pydantic_settings, rocksdict, yaml'
/opt/lienthong/venv/bin/pip uninstall -y -q pip setuptools 2>/dev/null || true
site="$(/opt/lienthong/venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
# the application is a second layer under /opt/lienthong/app (REPO_ROOT there, as in a checkout)
echo /opt/lienthong/app >"$site/lienthong-app.pth"
cat >/usr/local/bin/lienthong <<'PY'
#!/opt/lienthong/venv/bin/python
import sys

from services.cli import main

sys.exit(main())
PY
# `healthcheck [healthz|readyz]`: exit 0 when the worker in this container answers 200 (compose, probes)
cat >/usr/local/bin/healthcheck <<'PY'
#!/opt/lienthong/venv/bin/python
import os
import sys
import urllib.request

path = sys.argv[1] if len(sys.argv) > 1 else "readyz"
url = f"http://127.0.0.1:{os.environ.get('LIENTHONG_WEB_PORT', '6066')}/{path}"
try:
    with urllib.request.urlopen(url, timeout=3) as answer:
        sys.exit(0 if answer.status == 200 else 1)
except OSError as exc:
    print(f"{url}: {exc}", file=sys.stderr)
    sys.exit(1)
PY
chmod 0755 /usr/local/bin/lienthong /usr/local/bin/healthcheck
echo "lienthong:x:$uid:$uid:lienthong worker:/var/lib/lienthong:/usr/sbin/nologin" >>/etc/passwd
echo "lienthong:x:$uid:" >>/etc/group
echo "lienthong:!:19000::::::" >>/etc/shadow
install -d -o "$uid" -g "$uid" -m 0750 /var/lib/lienthong /var/lib/lienthong/worker
rm -rf /tmp/build /root/.cache
