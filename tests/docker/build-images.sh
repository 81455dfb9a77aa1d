#!/usr/bin/env bash
# Builds the images of the container and systemd tests from nothing pulled, and prints the
# image's name on stdout:
#
#   tests/docker/build-images.sh app     [PHARO_CTL DOUBLE]
#   tests/docker/build-images.sh systemd [PHARO_CTL DOUBLE]
#   tests/docker/build-images.sh debian
#   tests/docker/build-images.sh clean
#
# app:     FROM scratch: pharo-ctl as the entrypoint (tests/docker/app.Dockerfile), the VM test
#          double as `pharo` on PATH, bash (for the zeroconf-shaped wrapper), and the shared
#          libraries these load.
# systemd: a Debian root file system with systemd, made by mmdebstrap and `docker import`ed,
#          with pharo-ctl, the double and the units `pharo-ctl unit` writes for the instances
#          (tests/docker/systemd.Dockerfile).
# debian:  that Debian root file system alone (systemd, man-db, bash-completion): the clean
#          system the Debian package is installed into (tests/docker/check-package.sh).
#
# app and systemd hold these instances: /srv/zinc (a startup script with ShutdownSequence), /srv/plain
# (a REPL and no ShutdownSequence), /srv/zeroconf (zeroconf's layout: DIR/pharo runs
# pharo-vm/pharo as a child, which execs pharo-vm/lib/pharo, the double) and /srv/pair (two
# instances, one and two, with their REPLs on ports 42041 and 42042).
#
# clean:   removes what this script keeps: every image of the repositories pharo-ctl-test/*
#          that no container uses, and target/docker/.
#
# PHARO_CTL and DOUBLE default to the debug build (target/debug). An image is named by a hash
# of everything that goes into it, so an unchanged one is reused, not rebuilt; the Debian root
# file system is kept as a tarball under target/docker/. What is kept is said on stderr, with
# its size. An image of a kind that this checkout built before and has now replaced is removed
# (unless a container uses it), and so are the images of this script older than an hour that
# no container uses.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/tests/docker"
kind=${1:-}
ctl=${2:-$root/target/debug/pharo-ctl}
double=${3:-$root/target/debug/examples/pharo-vm-double}
cache="${CARGO_TARGET_DIR:-$root/target}/docker"
log() { echo "build-images: $*" >&2; }
case $kind in
  app | systemd | debian) ;;
  clean)
    images=$(docker image ls --format '{{.Repository}}:{{.Tag}}' | grep '^pharo-ctl-test/' || true)
    for image in $images; do
      if docker image rm "$image" >/dev/null 2>&1; then
        log "removed $image"
      else
        log "kept $image: a container uses it"
      fi
    done
    rm -rf "$cache"
    log "removed $cache"
    exit 0
    ;;
  *) echo "usage: $0 app|systemd|debian [PHARO_CTL DOUBLE] | clean" >&2; exit 2 ;;
esac
for f in "$ctl" "$double"; do
  [ -x "$f" ] || { echo "$0: $f is not an executable: run cargo build --bins --examples" >&2; exit 1; }
done
mkdir -p "$cache"
# One build of each kind at a time, across concurrent test runs (debian is systemd's base).
exec 9>"$cache/${kind/debian/systemd}.lock"
flock 9

# Removes image $1 unless a container uses it (docker refuses then).
remove_image() {
  if docker image rm "$1" >/dev/null 2>&1; then
    log "removed $1, superseded"
  fi
}

# The size of image $1, as docker says it.
image_size() {
  { docker image inspect --format '{{.Size}}' "$1" 2>/dev/null || true; } |
    awk '{ printf "%d MB", $1 / 1000000 }'
}

# The instances, under $1/srv.
lay_out_instances() {
  local srv=$1/srv
  mkdir -p "$srv/zinc" "$srv/plain" "$srv/zeroconf/pharo-vm/lib"
  local shutdown
  shutdown=$(cat <<'ST'

Smalltalk at: #ShutdownSequence put: [
  'Starting ShutdownSequence...' crTrace.
  ZnServer default stopServer.
  ZnServer default hasOpenConnections ifTrue: [ 3 seconds wait ].
  ZnServer default closeConnections.
  'Completed ShutdownSequence successfully' crTrace.
  Smalltalk snapshot: false andQuit: true ].
ST
)
  for name in zinc zeroconf; do
    printf 'a Pharo image' > "$srv/$name/$name.image"
    printf 'ZnServer startDefaultOn: 8080.\nZnReadEvalPrintDelegate startInServerOn: 42033.\n%s\n' \
      "$shutdown" > "$srv/$name/$name.st"
  done
  printf 'a Pharo image' > "$srv/plain/plain.image"
  printf 'ZnReadEvalPrintDelegate startInServerOn: 42033.\n' > "$srv/plain/plain.st"
  local port=42041
  for name in one two; do
    mkdir -p "$srv/pair"
    printf 'a Pharo image' > "$srv/pair/$name.image"
    printf 'ZnReadEvalPrintDelegate startInServerOn: %s.\n%s\n' "$port" "$shutdown" > "$srv/pair/$name.st"
    port=$((port + 1))
  done
  cat > "$srv/zeroconf/pharo" <<'SH'
#!/bin/bash
# zeroconf's launcher: runs the VM as a child (no exec).
"${0%/*}"/pharo-vm/pharo --headless "$@"
SH
  cat > "$srv/zeroconf/pharo-vm/pharo" <<'SH'
#!/bin/bash
exec "${0%/*}"/lib/pharo "$@"
SH
  install -m 755 "$double" "$srv/zeroconf/pharo-vm/lib/pharo"
  chmod 755 "$srv/zeroconf/pharo" "$srv/zeroconf/pharo-vm/pharo"
}

# Copies each program given and the shared libraries it loads (as ldd finds them) under $1.
copy_with_libraries() {
  local dest=$1
  shift
  local lib
  for lib in $(ldd "$@" | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' | sort -u); do
    install -D -m 755 "$lib" "$dest$lib"
  done
}

# The name of an image of repository $1 built from context directory $2: a hash of its files,
# their modes and the Dockerfile.
image_name() {
  local sum
  sum=$(tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - -C "$2" . \
    | sha256sum | cut -c1-16)
  echo "$1:$sum"
}

# Builds context $2 with Dockerfile $3 as image $1 unless that image exists.
build() {
  local image=$1 context=$2 dockerfile=$3
  shift 3
  if docker image inspect "$image" >/dev/null 2>&1; then
    log "$image is up to date"
  else
    log "building $image"
    local started=$SECONDS
    # The classic builder: it needs no buildx plugin, and uses local images as they are.
    local out
    if ! out=$(DOCKER_BUILDKIT=0 docker build -q -f "$dockerfile" -t "$image" "$@" "$context" 2>&1); then
      echo "$out" >&2
      exit 1
    fi
    log "built $image in $((SECONDS - started))s"
  fi
  # The tests build an image again when it is gone, so an hour's are kept.
  docker image prune -af --filter "label=pharo-ctl-test=image" --filter until=1h >/dev/null 2>&1 || true
  # The image of this kind that this checkout built last, if another: superseded.
  local last
  last=$(cat "$cache/$kind.image" 2>/dev/null || true)
  if [ -n "$last" ] && [ "$last" != "$image" ]; then
    remove_image "$last"
  fi
  echo "$image" > "$cache/$kind.image"
}

# The Debian root file system (systemd, man-db and bash-completion; no documentation or
# locales), made by mmdebstrap, cached as a tarball and imported as image $base.
debian_base() {
  suite=bookworm
  mmdebstrap_args=(--variant=minbase --include=systemd,systemd-sysv,procps,man-db,bash-completion
    --dpkgopt='path-exclude=/usr/share/doc/*'
    --dpkgopt='path-exclude=/usr/share/locale/*' "$suite")
  base_sum=$(printf '%s\n' "${mmdebstrap_args[@]}" | sha256sum | cut -c1-16)
  base=pharo-ctl-test/debian-systemd:$base_sum
  tarball="$cache/debian-systemd-$base_sum.tar"
  # The root file systems of other mmdebstrap arguments are superseded.
  for old in "$cache"/debian-systemd-*.tar; do
    if [ -e "$old" ] && [ "$old" != "$tarball" ]; then
      rm -f "$old"
      log "removed $old, superseded"
    fi
  done
  # As is the base this checkout imported before, if another.
  local last
  last=$(cat "$cache/debian.base" 2>/dev/null || true)
  if [ -n "$last" ] && [ "$last" != "$base" ]; then
    remove_image "$last"
  fi
  echo "$base" > "$cache/debian.base"
  if ! docker image inspect "$base" >/dev/null 2>&1; then
    if [ ! -s "$tarball" ]; then
      command -v mmdebstrap >/dev/null || { echo "$0: mmdebstrap is not installed (apt-get install mmdebstrap)" >&2; exit 1; }
      log "making a Debian $suite root file system with systemd (mmdebstrap)"
      started=$SECONDS
      # The name's .tar tells mmdebstrap to write a tarball.
      rm -rf "$cache/partial.tar"
      mmdebstrap --quiet "${mmdebstrap_args[@]}" "$cache/partial.tar" >&2
      mv "$cache/partial.tar" "$tarball"
      log "made $tarball in $((SECONDS - started))s"
    fi
    docker import "$tarball" "$base" >/dev/null
    log "imported $base"
  fi
}

context="$cache/$kind-context"
rm -rf "$context"
mkdir -p "$context/rootfs/usr/local/bin"
install -m 755 "$ctl" "$context/rootfs/usr/local/bin/pharo-ctl"
install -m 755 "$double" "$context/rootfs/usr/local/bin/pharo"
lay_out_instances "$context/rootfs"

if [ "$kind" = app ]; then
  fs=$context/rootfs
  install -D -m 755 /bin/bash "$fs/bin/bash"
  copy_with_libraries "$fs" "$ctl" "$double" /bin/bash
  mkdir -p "$fs/etc" "$fs/tmp"
  chmod 1777 "$fs/tmp"
  printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$fs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$fs/etc/group"
  cp "$here/app.Dockerfile" "$context/Dockerfile"
  image=$(image_name pharo-ctl-test/app "$context")
  build "$image" "$context" "$context/Dockerfile"
elif [ "$kind" = debian ]; then
  debian_base
  image=$base
else
  debian_base
  cp "$here/systemd.Dockerfile" "$context/Dockerfile"
  echo "$base" > "$context/base"
  image=$(image_name pharo-ctl-test/systemd "$context")
  build "$image" "$context" "$context/Dockerfile" --build-arg "BASE=$base"
fi
# The context is in the image now.
rm -rf "$context"
kept="$image ($(image_size "$image"))"
if [ "$kind" = systemd ]; then
  kept="$kept, $base ($(image_size "$base")) and its root file system $tarball ($({ du -m "$tarball" 2>/dev/null || echo '?'; } | cut -f1) MB)"
fi
log "kept $kept; remove everything this script keeps with: tests/docker/build-images.sh clean"
echo "$image"
