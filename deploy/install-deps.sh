#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what redis_memory_exporter needs from Debian 12's packages, and nothing else.
#   install-deps.sh build    compiler and -dev libraries (the default)
#   install-deps.sh runtime  shared libraries only (the container's final stage)
#   install-deps.sh test     build + what the tests run against (redis, prometheus, cmocka, pytest)
#   install-deps.sh demo     build + redis-server for the demo
#   install-deps.sh package  build + Debian's packaging tools (dpkg-buildpackage, lintian)
set -euo pipefail
what=${1:-build}
runtime=(libhiredis0.14 libevent-core-2.1-7 libevent-extra-2.1-7 libmicrohttpd12 zlib1g libssl3 libyaml-0-2
         libgnutls30 libcrypt1 libevent-openssl-2.1-7 libjansson4)
build=(build-essential cmake pkg-config git libhiredis-dev libevent-dev libmicrohttpd-dev zlib1g-dev libssl-dev
       libyaml-dev libgnutls28-dev libcrypt-dev libjansson-dev)
# clang-14 only recommends its runtime libraries, and --no-install-recommends drops them:
# libFuzzer and clang's sanitizers link against libclang-rt-14-dev, so it is named here.
test=(libcmocka-dev clang libclang-rt-14-dev prometheus-redis-exporter redis-server redis-sentinel redis-tools prometheus python3-pytest python3-redis python3-requests
      python3-yaml python3-prometheus-client yamllint curl procps chromium python3-pil jsonnet
      debhelper dpkg-dev fakeroot lintian prometheus-alertmanager scdoc man-db clang-format)
case "$what" in
  runtime) pkgs=("${runtime[@]}") ;;
  build)   pkgs=("${build[@]}") ;;
  test)    pkgs=("${build[@]}" "${test[@]}") ;;
  demo)    pkgs=("${build[@]}" redis-server redis-tools curl) ;;
  package) pkgs=("${build[@]}" debhelper dpkg-dev fakeroot scdoc lintian) ;;
  *) echo "install-deps.sh: unknown set '$what' (build|runtime|test|demo|package)" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
