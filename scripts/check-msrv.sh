#!/usr/bin/env bash
# Fails when a locked dependency needs a newer Rust than the `rust-version` that
# Cargo.toml declares, or when the Dockerfile builds on another Rust than that one:
# `cargo build --locked` on the declared toolchain would refuse such a lock, and the
# Docker image is the declared toolchain. Reads every package's `rust_version` from
# `cargo metadata`, so it needs neither the old toolchain nor a network.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v python3 >/dev/null 2>&1 || {
    printf 'error: %s\n' "check-msrv.sh needs python3 to read cargo metadata" >&2
    exit 1
}

cargo metadata --locked --format-version 1 | python3 -c '
import json, sys

def parse(version):
    parts = [int(part) for part in version.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))

metadata = json.load(sys.stdin)
packages = {package["id"]: package for package in metadata["packages"]}
root = packages[metadata["resolve"]["root"]]
declared = root.get("rust_version")
if not declared:
    sys.exit("error: Cargo.toml declares no rust-version")

too_new = sorted(
    (parse(package["rust_version"]), package["name"], package["version"], package["rust_version"])
    for package in metadata["packages"]
    if package.get("rust_version") and parse(package["rust_version"]) > parse(declared)
)
if too_new:
    print(f"error: Cargo.toml declares rust-version = \"{declared}\", but the lock holds crates that need more:", file=sys.stderr)
    for _, name, version, needs in too_new:
        print(f"  {name} {version} needs Rust {needs}", file=sys.stderr)
    print(f"Raise rust-version (and the Dockerfile'"'"'s rust image, and the README) to {too_new[-1][3]}.", file=sys.stderr)
    sys.exit(1)
image = next((line.split()[1] for line in open("Dockerfile") if line.startswith("FROM rust:")), None)
if image is None:
    sys.exit("error: the Dockerfile has no FROM rust:<version>-… line")
if parse(image.split(":")[1].split("-")[0]) != parse(declared):
    sys.exit(f"error: the Dockerfile builds on {image}, but Cargo.toml declares rust-version = \"{declared}\"")
print(f"rust-version {declared} covers every locked dependency, and the Dockerfile builds on {image}")
'
