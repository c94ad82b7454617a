#!/usr/bin/env bash
# Make sure Debian's redis-server is installed: `make run` starts a private one as Celery's
# broker (config/supervisord.conf). As root on Debian it installs it; otherwise it says what to do.
set -euo pipefail
[ -x /usr/bin/redis-server ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "redis-server not found: installing Debian's redis-server" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  exit 0
fi
echo "redis-server is required (make run starts a private one as the task broker): install it (e.g. 'sudo apt-get install redis-server')." >&2
exit 1
