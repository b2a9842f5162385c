// test.mjs: end-to-end test of a gobcos node with the clients application
// developers already use: ethers v6 (HTTP and WebSocket) and web3.js v4, with
// contracts compiled by solc from npm at test time. See README.md.
//
// Environment:
//   GOBCOS_BIN           the gobcos binary to run; unset: build ./cmd/gobcos
//   GOBCOS_UP_ARGS       extra arguments for `gobcos up` (space-separated)
//   GOBCOS_RPC_URL       test a node that is already running (not started here)
//   GOBCOS_WS_URL        its WebSocket URL (default: the RPC URL with ws://)
//   ETHERS_TEST_TARGET   gobcos (default) | geth: run against `geth --dev`
//                        to check this test's own logic (GETH_BIN, default geth)
//   GOBCOS_TEST_TIMEOUT  overall bound in seconds once the binary is built (default 300)
//   GOBCOS_BUILD_TIMEOUT bound of the go build in seconds (default 900)
//   GOBCOS_READY_TIMEOUT bound in seconds for the node's RPC to answer (default 60)
//   GOBCOS_TEST_VERBOSE  1: echo the node's output as it runs
//   GOBCOS_TEST_KEEP     1: keep the node's data directory

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ethers } from 'ethers';
import { compileContracts, staleArtifacts } from '../../testdata/contracts/compile.mjs';
import { startTarget } from './lib/node.mjs';
import { Runner, describeError } from './lib/runner.mjs';
import { chainChecks, storeChecks, factoryChecks, logChecks } from './lib/ethers-checks.mjs';
import { wsChecks } from './lib/ws-checks.mjs';
import { web3Checks } from './lib/web3-checks.mjs';
import { ozChecks } from './lib/oz-checks.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const env = process.env;

function seconds(name, dflt) {
  const v = env[name];
  if (v === undefined || v === '') return dflt * 1000;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`${name}=${v} is not a positive number of seconds`);
    process.exit(2);
  }
  return n * 1000;
}

function targetConfig() {
  const verbose = env.GOBCOS_TEST_VERBOSE === '1';
  if (env.GOBCOS_RPC_URL) {
    return { kind: 'url', url: env.GOBCOS_RPC_URL, wsUrl: env.GOBCOS_WS_URL || null };
  }
  const kind = env.ETHERS_TEST_TARGET || 'gobcos';
  if (kind === 'geth') {
    return { kind, bin: env.GETH_BIN || 'geth', readyTimeoutMs: seconds('GOBCOS_READY_TIMEOUT', 60), verbose };
  }
  if (kind !== 'gobcos') {
    console.error(`ETHERS_TEST_TARGET=${kind}: want gobcos or geth`);
    process.exit(2);
  }
  return {
    kind,
    bin: env.GOBCOS_BIN || null,
    repoRoot: REPO_ROOT,
    extraArgs: (env.GOBCOS_UP_ARGS || '').split(/\s+/).filter(Boolean),
    buildTimeoutMs: seconds('GOBCOS_BUILD_TIMEOUT', 900),
    readyTimeoutMs: seconds('GOBCOS_READY_TIMEOUT', 60),
    verbose,
  };
}

const cfg = targetConfig();
const overallMs = seconds('GOBCOS_TEST_TIMEOUT', 300);
const runner = new Runner();
let target = null;
let finished = false;

// Whatever ends this process, the node it started goes with it.
process.on('exit', () => {
  if (target) target.killNow();
});

async function finish(code, err) {
  if (finished) return;
  finished = true;
  if (err) {
    console.error(`\nFAILED: ${err.message}\n\n${describeError(err.cause || err)}`);
  }
  if (target) {
    const failed = code !== 0;
    const output = target.output();
    if (failed && output) {
      console.error(`\n----- output of ${target.describe()} (last ${output.length} bytes) -----\n${output}\n----- end of node output -----`);
    }
    const keep = failed || env.GOBCOS_TEST_KEEP === '1';
    try {
      await target.stop({ keepDataDir: keep });
    } catch (stopErr) {
      console.error(`stopping the node: ${stopErr.message}`);
    }
    if (keep && target.dataDir) console.error(`node data kept in ${target.dataDir}`);
  }
  // A run stopped by a timeout or a signal counts the step it was in as failed.
  if (code !== 0 && runner.failed === 0) runner.failed = 1;
  console.log(runner.summary());
  process.exit(code);
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => finish(1, new Error(`interrupted by ${sig}`)));
}
process.on('unhandledRejection', (err) => finish(1, new Error(`unhandled rejection: ${err && err.message}`, { cause: err })));
process.on('uncaughtException', (err) => finish(1, new Error(`uncaught exception: ${err && err.message}`, { cause: err })));

/** Sends 100 ether from geth's dev account to addr (geth target only). */
async function gethFunder(provider) {
  const [dev] = await provider.send('eth_accounts', []);
  return async (addr) => {
    const hash = await provider.send('eth_sendTransaction', [
      { from: dev, to: addr, value: ethers.toQuantity(ethers.parseEther('100')) },
    ]);
    const receipt = await provider.waitForTransaction(hash, 1, 60_000);
    if (!receipt || receipt.status !== 1) throw new Error(`funding ${addr} failed`);
  };
}

async function main() {
  const compiled = await runner.step('compile Store.sol and Factory.sol with solc; artifacts are current', async () => {
    const { contracts } = compileContracts();
    for (const name of ['Store', 'Factory', 'Child']) {
      if (!contracts[name]) throw new Error(`solc produced no ${name} contract`);
    }
    const stale = staleArtifacts(contracts);
    if (stale.length > 0) {
      throw new Error(`committed artifacts differ from solc's output: ${stale.join(', ')}; run testdata/contracts/compile.sh`);
    }
    return contracts;
  });

  const buildNote = cfg.kind === 'gobcos' && !cfg.bin ? ' (building ./cmd/gobcos first)' : '';
  await runner.step(`start ${cfg.kind}${buildNote} and wait for eth_chainId`, async () => {
    await startTarget({ ...cfg, onSpawn: (t) => { target = t; } }).then((t) => { target = t; });
  });
  // The bound on the checks starts once the node answers (a cold build may be slow).
  setTimeout(() => finish(1, new Error(`overall timeout: the checks did not finish within ${overallMs / 1000} s`)), overallMs);

  // cacheTimeout -1: ethers otherwise answers a repeated request made within
  // 250 ms from its cache, such as the pending nonce of back-to-back sends.
  const provider = new ethers.JsonRpcProvider(target.url, undefined, { pollingInterval: 250, cacheTimeout: -1 });
  const ctx = {
    url: target.url,
    wsUrl: target.wsUrl,
    provider,
    compiled,
    wallet: ethers.Wallet.createRandom().connect(provider),
    // gobcos needs no balance and charges nothing; geth --dev does.
    zeroFees: cfg.kind !== 'geth',
    fund: null,
    receipts: [],
  };
  console.log(`# node: ${target.describe()}, RPC ${target.url}, WebSocket ${target.wsUrl}`);
  console.log(`# wallet: ${ctx.wallet.address}`);
  await chainChecks(runner, ctx);
  if (cfg.kind === 'geth') {
    ctx.fund = await gethFunder(provider);
    await runner.step('fund the test wallet from the geth dev account', () => ctx.fund(ctx.wallet.address));
  }
  await storeChecks(runner, ctx);
  await factoryChecks(runner, ctx);
  await ozChecks(runner, ctx);
  await logChecks(runner, ctx);
  await wsChecks(runner, ctx);
  await web3Checks(runner, ctx);
  provider.destroy();
}

main().then(
  () => finish(0),
  (err) => finish(1, err),
);
