#!/usr/bin/env bash
# compile.sh regenerates the committed artifacts (<Name>.abi, <Name>.bin,
# <Name>.bin-runtime) of the Solidity contracts in this directory with solc
# from npm, pinned in tests/ethers/package.json. Running it on an unchanged
# tree reproduces the committed files byte for byte.
#
#   testdata/contracts/compile.sh          regenerate
#   testdata/contracts/compile.sh --check  only verify; exit 1 if stale
#
# Needs Node.js 20 and npm; installs tests/ethers' dependencies with `npm ci`
# when they are not installed yet.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pkg="$here/../../tests/ethers"

if [ ! -f "$pkg/node_modules/solc/package.json" ]; then
	echo "compile.sh: installing tests/ethers dependencies (npm ci)" >&2
	(cd "$pkg" && npm ci --no-audit --no-fund >&2)
fi

exec node "$here/compile.mjs" "$@"
