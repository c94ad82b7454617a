#!/usr/bin/env bash
# Make sure npm is available to install the front-end packages (Bootstrap, htmx, Chart.js).
# On Debian as root it installs Debian's nodejs and npm; otherwise it says what to do.
set -euo pipefail
command -v npm >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "npm not found: installing Debian's nodejs and npm" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nodejs npm >/dev/null
  exit 0
fi
echo "npm is required for the front-end assets: install Node.js 18+ and npm (e.g. 'sudo apt-get install nodejs npm')." >&2
exit 1
