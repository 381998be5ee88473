# Shared by scripts/demo and scripts/test (sourced, not run): make sure .venv
# exists and holds this checkout installed in editable mode, reinstalling only
# when pyproject.toml changed since the last install.

medoffice_python() {
  # The interpreter to build .venv with: $PYTHON, else the first Python >= 3.11 found.
  local candidate
  for candidate in ${PYTHON:-} python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  echo "medoffice needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
  return 1
}

# ensure_venv EXTRAS: EXTRAS is "" (the app) or "test" (the app plus test tools).
ensure_venv() {
  local extras="$1" python spec hash stamp_dir=".venv"
  if [[ ! -x .venv/bin/python ]]; then
    python="$(medoffice_python)" || return 1
    echo "Creating .venv with $("$python" --version 2>&1) ..."
    rm -rf .venv
    "$python" -m venv .venv || return 1
  fi
  hash="$(.venv/bin/python -c 'import hashlib; print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest())')" || return 1
  # A test install contains the app install, so either stamp satisfies the app.
  if [[ -x .venv/bin/medoffice ]]; then
    if [[ -f "$stamp_dir/.medoffice-test" && "$(cat "$stamp_dir/.medoffice-test")" == "$hash" ]]; then
      return 0
    fi
    if [[ -z "$extras" && -f "$stamp_dir/.medoffice-app" && "$(cat "$stamp_dir/.medoffice-app")" == "$hash" ]]; then
      return 0
    fi
  fi
  spec="."
  [[ -n "$extras" ]] && spec=".[$extras]"
  echo "Installing medoffice${extras:+ with $extras tools} into .venv (pyproject.toml changed or first run) ..."
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec" || return 1
  echo "$hash" >"$stamp_dir/.medoffice-app"
  [[ -n "$extras" ]] && echo "$hash" >"$stamp_dir/.medoffice-$extras"
  return 0
}
