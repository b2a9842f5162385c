// compile.mjs compiles the Solidity sources of this directory with solc from
// npm (the version pinned in tests/ethers/package.json) and writes, for every
// contract, next to the sources:
//   <Name>.abi          the ABI, JSON (2-space indent, trailing newline)
//   <Name>.bin          the creation bytecode, hex without 0x, no newline
//   <Name>.bin-runtime  the runtime bytecode, hex without 0x, no newline
//
// Usage (from the repository root, after `npm ci` in tests/ethers):
//   node testdata/contracts/compile.mjs          regenerate the artifacts
//   node testdata/contracts/compile.mjs --check  exit 1 if any differs
// or testdata/contracts/compile.sh, which runs `npm ci` first when needed.
//
// The output depends only on the sources, the solc version and SETTINGS
// below: source names are the bare file names, so the metadata hash that solc
// appends to the bytecode does not depend on where the checkout lives.
//
// tests/ethers/test.mjs imports compileContracts from here to compile at test
// time and to check that the committed artifacts are current.

import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONTRACTS_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(CONTRACTS_DIR, '..', '..');
const PACKAGE_JSON = path.join(REPO_ROOT, 'tests', 'ethers', 'package.json');

// SETTINGS are the solc settings of every compilation. The EVM version is the
// compiler's default (recorded in each contract's metadata).
export const SETTINGS = Object.freeze({
  optimizer: { enabled: true, runs: 200 },
});

function loadSolc() {
  const require = createRequire(PACKAGE_JSON);
  try {
    return require('solc');
  } catch (err) {
    throw new Error(
      `cannot load solc from tests/ethers/node_modules (${err.message}); run "npm ci" in tests/ethers first`,
    );
  }
}

/** The pinned solc version from tests/ethers/package.json, such as "0.8.37". */
export function pinnedSolcVersion() {
  const pkg = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8'));
  return pkg.dependencies.solc;
}

/** The .sol files of this directory, sorted, as {name: {content}}. */
export function readSources(dir = CONTRACTS_DIR) {
  const sources = {};
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.sol')).sort()) {
    sources[name] = { content: readFileSync(path.join(dir, name), 'utf8') };
  }
  if (Object.keys(sources).length === 0) {
    throw new Error(`no .sol files in ${dir}`);
  }
  return sources;
}

/**
 * Compiles the sources of this directory. Returns {solcVersion, contracts},
 * contracts mapping each contract name to {source, abi, bin, binRuntime}
 * (bin and binRuntime as hex without 0x). Throws on any compiler error.
 */
export function compileContracts() {
  const solc = loadSolc();
  const solcVersion = solc.version();
  const pinned = pinnedSolcVersion();
  if (!solcVersion.startsWith(pinned + '+')) {
    throw new Error(
      `installed solc is ${solcVersion} but tests/ethers/package.json pins ${pinned}; run "npm ci" in tests/ethers`,
    );
  }
  const input = {
    language: 'Solidity',
    sources: readSources(),
    settings: {
      ...SETTINGS,
      outputSelection: {
        '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] },
      },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    throw new Error('solc failed:\n' + errors.map((e) => e.formattedMessage || e.message).join('\n'));
  }
  const warnings = (output.errors || []).filter((e) => e.severity !== 'error');
  const contracts = {};
  for (const [source, byName] of Object.entries(output.contracts || {})) {
    for (const [name, c] of Object.entries(byName)) {
      if (contracts[name]) {
        throw new Error(`contract ${name} is defined in both ${contracts[name].source} and ${source}`);
      }
      contracts[name] = {
        source,
        abi: c.abi,
        bin: c.evm.bytecode.object,
        binRuntime: c.evm.deployedBytecode.object,
      };
    }
  }
  return { solcVersion, contracts, warnings };
}

/** The artifact files of a compilation: {fileName: content}. */
export function artifactFiles(contracts) {
  const files = {};
  for (const name of Object.keys(contracts).sort()) {
    const c = contracts[name];
    files[`${name}.abi`] = JSON.stringify(c.abi, null, 2) + '\n';
    files[`${name}.bin`] = c.bin;
    files[`${name}.bin-runtime`] = c.binRuntime;
  }
  return files;
}

/** The names of the artifact files that are missing or differ on disk. */
export function staleArtifacts(contracts, dir = CONTRACTS_DIR) {
  const stale = [];
  for (const [file, content] of Object.entries(artifactFiles(contracts))) {
    const p = path.join(dir, file);
    if (!existsSync(p) || readFileSync(p, 'utf8') !== content) {
      stale.push(file);
    }
  }
  return stale;
}

function main(argv) {
  const check = argv.includes('--check');
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(`unknown argument(s): ${unknown.join(' ')}; usage: compile.mjs [--check]`);
    return 2;
  }
  const { solcVersion, contracts, warnings } = compileContracts();
  for (const w of warnings) {
    console.error(w.formattedMessage || w.message);
  }
  if (check) {
    const stale = staleArtifacts(contracts);
    if (stale.length > 0) {
      console.error(
        `artifacts out of date (solc ${solcVersion}): ${stale.join(', ')}; run testdata/contracts/compile.sh`,
      );
      return 1;
    }
    console.log(`artifacts up to date (solc ${solcVersion}, ${Object.keys(contracts).length} contracts)`);
    return 0;
  }
  for (const [file, content] of Object.entries(artifactFiles(contracts))) {
    writeFileSync(path.join(CONTRACTS_DIR, file), content);
  }
  console.log(`wrote artifacts of ${Object.keys(contracts).sort().join(', ')} (solc ${solcVersion})`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error(`compile.mjs: ${err.message}`);
    process.exitCode = 1;
  }
}
