# SPDX-License-Identifier: Apache-2.0
# Sourced by the fresh-machine checks (package_test.sh, fresh_ci_test.sh): a Debian 12
# minbase root made with debootstrap in $root from a base tarball cached in $cache, with
# the machine's resolver, /proc, /sys and /dev mounted, and no service started inside it
# (there is no init: policy-rc.d says so). The caller unmounts in its own cleanup.
#   fresh_root ROOT CACHE
fresh_root() {
  local root=$1 cache=$2
  mkdir -p "$cache"
  if [ ! -f "$cache/bookworm-minbase.tgz" ]; then
    debootstrap --variant=minbase --make-tarball="$cache/bookworm-minbase.tgz" bookworm "$root/tmp-mk" >"$cache/make.log" 2>&1
    rm -rf "$root/tmp-mk"
  fi
  debootstrap --variant=minbase --unpack-tarball="$cache/bookworm-minbase.tgz" bookworm "$root" >"$root.log" 2>&1 \
    || { tail -20 "$root.log"; return 1; }
  rm -f "$root.log"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mount -t proc proc "$root/proc"; mount --bind /sys "$root/sys"; mount --bind /dev "$root/dev"
  mount --bind /dev/pts "$root/dev/pts"
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"; chmod 755 "$root/usr/sbin/policy-rc.d"
}
