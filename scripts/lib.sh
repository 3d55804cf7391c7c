# Shell helpers shared by the setup scripts (sourced, not run).

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# make_venv DIR REQUIREMENTS: (re)creates the venv when the pinned list changed.
make_venv() {
  local dir=$1 req=$2 want
  want=$(sha256sum "$req" | cut -d' ' -f1)
  if [ ! -x "$dir/bin/python" ] || [ "$(cat "$dir/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
    say "creating Python venv $dir from $req"
    python3 -m venv "$dir"
    "$dir/bin/pip" install -q --disable-pip-version-check -r "$req"
    echo "$want" > "$dir/.requirements.sha256"
  fi
}
