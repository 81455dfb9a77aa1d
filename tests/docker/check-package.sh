#!/usr/bin/env bash
# Installs the Debian package into a clean Debian container and checks that it works there:
#
#   tests/docker/check-package.sh DEB [DOUBLE]
#
# The container is the Debian root file system of build-images.sh (`debian`: nothing pulled),
# with no network. In it: `dpkg -i DEB`, then `pharo-ctl --version`, `man pharo-ctl`, the
# completion scripts where bash, zsh and fish look for them (bash's loaded by bash-completion
# and asked to complete), and a start, eval and stop of an instance whose VM is the test
# double (DOUBLE, default the release build's, copied in as /usr/local/bin/pharo). The
# container is removed however the check ends.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
deb=${1:-}
double=${2:-$root/target/release/examples/pharo-vm-double}
[ -f "$deb" ] || { echo "usage: $0 DEB [DOUBLE] (DEB: scripts/package.sh builds it)" >&2; exit 2; }
[ -x "$double" ] || { echo "$0: $double is not an executable: cargo build --release --examples" >&2; exit 1; }
step() { echo "check-package: $*" >&2; }

image=$(bash "$root/tests/docker/build-images.sh" debian)
name="pharo-ctl-package-$$-$RANDOM"
docker run -d --name "$name" --network none --label pharo-ctl-test.run=package \
  --entrypoint /bin/sleep "$image" infinity >/dev/null
trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT
inside() { docker exec "$name" "$@"; }
fail() { echo "check-package: FAILED: $*" >&2; exit 1; }

docker cp "$deb" "$name:/tmp/pharo-ctl.deb"
docker cp "$double" "$name:/usr/local/bin/pharo"
inside dpkg -i /tmp/pharo-ctl.deb >/dev/null || fail "dpkg -i $(basename "$deb")"
step "installed $(basename "$deb")"

files=$(inside dpkg -L pharo-ctl)
for file in /usr/bin/pharo-ctl /usr/share/man/man1/pharo-ctl.1.gz \
  /usr/share/man/man1/pharo-ctl-stop.1.gz \
  /usr/share/bash-completion/completions/pharo-ctl \
  /usr/share/zsh/vendor-completions/_pharo-ctl \
  /usr/share/fish/vendor_completions.d/pharo-ctl.fish; do
  grep -qx "$file" <<<"$files" || fail "the package lacks $file:"$'\n'"$files"
done

version=$(inside pharo-ctl --version)
[[ $version == "pharo-ctl "* ]] || fail "pharo-ctl --version said: $version"
step "$version"

page=$(inside env MANWIDTH=100 man -P cat pharo-ctl 2>&1) || fail "man pharo-ctl: $page"
grep -q "EXIT STATUS" <<<"$page" || fail "man pharo-ctl shows no EXIT STATUS:"$'\n'"$page"
inside sh -c 'man -w pharo-ctl-stop' >/dev/null || fail "man pharo-ctl-stop is not found"
step "man pharo-ctl renders"

# bash-completion loads the script from its directory on first use; `pharo-ctl st<TAB>`.
offered=$(inside bash -c '
source /usr/share/bash-completion/bash_completion
_completion_loader pharo-ctl
spec=$(complete -p pharo-ctl) || exit 1
function=$(sed -E "s/.* -F ([^ ]+) .*/\1/" <<<"$spec")
COMP_WORDS=(pharo-ctl st); COMP_CWORD=1; COMP_LINE="pharo-ctl st"; COMP_POINT=${#COMP_LINE}
"$function" pharo-ctl st pharo-ctl
printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "')
[ "$offered" = "start status stop " ] || fail "bash completes 'pharo-ctl st' with: $offered"
step "bash completes 'pharo-ctl st' with: $offered"

inside mkdir -p /srv/zinc
inside sh -c "printf 'a Pharo image' > /srv/zinc/zinc.image"
docker exec -i "$name" sh -c "cat > /srv/zinc/zinc.st" <<'ST'
ZnReadEvalPrintDelegate startInServerOn: 42033.

Smalltalk at: #ShutdownSequence put: [
  'Starting ShutdownSequence...' crTrace.
  Smalltalk snapshot: false andQuit: true ].
ST
inside pharo-ctl -C /srv/zinc start --wait --start-timeout 30s zinc || fail "start --wait zinc"
answer=$(inside pharo-ctl -C /srv/zinc eval zinc '3 + 4')
[ "$answer" = 7 ] || fail "eval zinc '3 + 4' answered: $answer"
stopped=$(inside pharo-ctl -C /srv/zinc stop zinc 2>&1) || fail "stop zinc: $stopped"
grep -q "zinc stopped cooperatively" <<<"$stopped" || fail "stop zinc said: $stopped"
step "start, eval (3 + 4 = $answer) and a cooperative stop work"
echo "check-package: $(basename "$deb") installs and works in a clean Debian container"
