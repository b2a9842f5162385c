// node.mjs starts and stops the JSON-RPC node that test.mjs runs against:
// gobcos (the default), geth --dev (to validate the test's own logic against
// a reference node), or an already running node given by its URL.
//
// A started node runs in its own process group, so stopping it also stops
// anything it started; stop() sends SIGTERM, then SIGKILL after a grace
// period, and killNow() is the synchronous last resort for process 'exit'.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const OUTPUT_LIMIT = 256 * 1024; // bytes of node output kept for failure reports
const STOP_GRACE_MS = 10_000;

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Posts one JSON-RPC request and returns its result; throws on an error answer. */
export async function rpc(url, method, params = [], timeoutMs = 5000) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${method}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
  if (body.error) {
    const err = new Error(`${method}: JSON-RPC error ${body.error.code}: ${body.error.message}`);
    err.rpcError = body.error;
    throw err;
  }
  return body.result;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A child process whose output is kept (the last OUTPUT_LIMIT bytes) and,
 * when verbose, echoed to stderr.
 */
class Proc {
  constructor(name, cmd, args, { cwd, env, verbose }) {
    this.name = name;
    this.cmdline = [cmd, ...args].join(' ');
    this.stdoutText = '';
    this.outputText = '';
    this.exited = null; // {code, signal} once the process is gone
    this.child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group: stop() reaches its children too
    });
    this.exitPromise = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.exited = { code: null, signal: null, error: err };
        resolve(this.exited);
      });
      this.child.once('exit', (code, signal) => {
        this.exited = { code, signal };
        resolve(this.exited);
      });
    });
    const keep = (stream, isStdout) => {
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        if (isStdout && this.stdoutText.length < OUTPUT_LIMIT) {
          this.stdoutText += chunk;
        }
        this.outputText += chunk;
        if (this.outputText.length > OUTPUT_LIMIT) {
          this.outputText = this.outputText.slice(-OUTPUT_LIMIT);
        }
        if (verbose) {
          process.stderr.write(chunk.replace(/^/gm, `[${name}] `));
        }
      });
    };
    keep(this.child.stdout, true);
    keep(this.child.stderr, false);
  }

  get running() {
    return this.exited === null;
  }

  describeExit() {
    const e = this.exited;
    if (!e) return 'running';
    if (e.error) return `failed to start: ${e.error.message}`;
    return e.signal ? `killed by ${e.signal}` : `exited with code ${e.code}`;
  }

  signalGroup(sig) {
    if (!this.running || !this.child.pid) return;
    try {
      process.kill(-this.child.pid, sig);
    } catch {
      try {
        this.child.kill(sig);
      } catch {
        // already gone
      }
    }
  }

  async stop() {
    if (!this.running) return;
    this.signalGroup('SIGTERM');
    const timer = sleep(STOP_GRACE_MS).then(() => 'timeout');
    if ((await Promise.race([this.exitPromise, timer])) === 'timeout') {
      this.signalGroup('SIGKILL');
      await this.exitPromise;
    }
  }

  killNow() {
    this.signalGroup('SIGKILL');
  }
}

/** Runs a command to completion; throws with its output if it fails or runs past timeoutMs. */
async function runToEnd(name, cmd, args, opts, timeoutMs) {
  const p = new Proc(name, cmd, args, opts);
  const timer = sleep(timeoutMs).then(() => 'timeout');
  const res = await Promise.race([p.exitPromise, timer]);
  if (res === 'timeout') {
    await p.stop();
    throw new Error(`${p.cmdline} did not finish within ${timeoutMs / 1000} s:\n${p.outputText}`);
  }
  if (res.error || res.code !== 0) {
    throw new Error(`${p.cmdline} ${p.describeExit()}:\n${p.outputText}`);
  }
}

/**
 * The node's RPC URL: the first http(s) URL on its stdout naming the port we
 * gave it, else http://127.0.0.1:<port>.
 */
function urlFromOutput(stdout, port) {
  for (const m of stdout.matchAll(/\bhttps?:\/\/[^\s"'<>]+/g)) {
    const url = m[0].replace(/[.,;)\]]+$/, '');
    try {
      if (new URL(url).port === String(port)) return url;
    } catch {
      // not a URL after all
    }
  }
  return null;
}

/**
 * Polls eth_chainId until it answers, the process exits or timeoutMs passes.
 * Returns the URL that answered.
 */
async function waitReady(proc, port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let lastErr = null;
  while (Date.now() < deadline) {
    if (!proc.running) {
      throw new Error(`${proc.name} ${proc.describeExit()} before its RPC answered (${proc.cmdline})`);
    }
    const url = urlFromOutput(proc.stdoutText, port) || `http://127.0.0.1:${port}`;
    try {
      await rpc(url, 'eth_chainId', [], 2000);
      return url;
    } catch (err) {
      lastErr = err.cause && err.cause.code ? new Error(`${err.message} (${err.cause.code})`) : err;
    }
    await sleep(300);
  }
  throw new Error(
    `${proc.name}: eth_chainId did not answer within ${timeoutMs / 1000} s (last error: ${lastErr && lastErr.message})`,
  );
}

function wsUrlOf(httpUrl) {
  const u = new URL(httpUrl);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}

/**
 * Starts the target described by cfg:
 *   {kind: 'gobcos', bin, repoRoot, extraArgs, buildTimeoutMs, readyTimeoutMs, verbose}
 *   {kind: 'geth', bin, readyTimeoutMs, verbose}
 *   {kind: 'url', url, wsUrl}
 * and cfg.onSpawn(target), called as soon as a process is started (before it
 * is ready) so that the caller can stop it whatever happens next.
 * Returns {kind, url, wsUrl, dataDir, output(), stop(), killNow(), describe()}.
 */
export async function startTarget(cfg) {
  if (cfg.kind === 'url') {
    return {
      kind: 'url',
      url: cfg.url,
      wsUrl: cfg.wsUrl || wsUrlOf(cfg.url),
      output: () => '',
      describe: () => `node at ${cfg.url} (not started by this test)`,
      stop: async () => {},
      killNow: () => {},
    };
  }
  let bin = cfg.bin;
  const binDirs = [];
  if (cfg.kind === 'gobcos' && !bin) {
    const binDir = mkdtempSync(path.join(os.tmpdir(), 'gobcos-bin-'));
    binDirs.push(binDir);
    bin = path.join(binDir, 'gobcos');
    await runToEnd(
      'go build',
      'go',
      ['build', '-o', bin, './cmd/gobcos'],
      { cwd: cfg.repoRoot, verbose: cfg.verbose },
      cfg.buildTimeoutMs,
    ).catch((err) => {
      for (const d of binDirs) rmSync(d, { recursive: true, force: true });
      throw err;
    });
  } else if (cfg.kind !== 'gobcos' && cfg.kind !== 'geth') {
    throw new Error(`unknown target kind ${cfg.kind}`);
  }
  // The port freePort finds is free only for a moment, and gobcos up takes
  // the ports above it too (P2P, metrics, explorer): another process may
  // bind one of them first. A start that failed on a taken port is tried
  // again with new ports in a new data directory, at most PORT_ATTEMPTS times.
  for (let attempt = 1; ; attempt++) {
    const target = await spawnTarget(cfg, bin, binDirs);
    try {
      target.url = await waitReady(target.proc, target.port, cfg.readyTimeoutMs);
    } catch (err) {
      if (attempt < PORT_ATTEMPTS && !target.proc.running && /address already in use/.test(target.proc.outputText)) {
        process.stderr.write(`${cfg.kind} found a port taken (${target.describe()}); trying other ports\n`);
        await target.stop({ keepBin: true });
        continue;
      }
      throw err;
    }
    target.wsUrl = wsUrlOf(target.url);
    return target;
  }
}

const PORT_ATTEMPTS = 3;

/**
 * Spawns one attempt of the target cfg describes with the binary bin, in a
 * new data directory, on a port free a moment ago; binDirs are temporary
 * directories its stop removes too (unless keepBin). Calls cfg.onSpawn.
 */
async function spawnTarget(cfg, bin, binDirs) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `${cfg.kind}-ethers-test-`));
  const port = await freePort();
  let args;
  if (cfg.kind === 'gobcos') {
    args = ['up', '--dir', dataDir, '--rpc-port', String(port), ...(cfg.extraArgs || [])];
  } else {
    // HTTP and WebSocket on one port, as gobcos serves them; a block per tx.
    args = [
      '--dev', '--dev.period', '0', '--datadir', dataDir,
      '--http', '--http.addr', '127.0.0.1', '--http.port', String(port), '--http.api', 'eth,net,web3',
      '--ws', '--ws.addr', '127.0.0.1', '--ws.port', String(port), '--ws.api', 'eth,net,web3',
      '--ipcdisable', '--nodiscover', '--maxpeers', '0', '--port', '0', '--authrpc.port', String(await freePort()),
      '--verbosity', '3',
    ];
  }
  const proc = new Proc(cfg.kind, bin, args, { cwd: cfg.repoRoot, verbose: cfg.verbose });
  const target = {
    kind: cfg.kind,
    url: null,
    wsUrl: null,
    dataDir,
    proc,
    port,
    output: () => proc.outputText,
    describe: () => `${proc.cmdline} (pid ${proc.child.pid}, ${proc.describeExit()})`,
    killNow: () => proc.killNow(),
    stop: async ({ keepDataDir = false, keepBin = false } = {}) => {
      await proc.stop();
      if (!keepDataDir) rmSync(dataDir, { recursive: true, force: true });
      if (!keepBin) for (const d of binDirs) rmSync(d, { recursive: true, force: true });
    },
  };
  // The caller must be able to stop the process even if it never gets ready.
  if (cfg.onSpawn) cfg.onSpawn(target);
  return target;
}
