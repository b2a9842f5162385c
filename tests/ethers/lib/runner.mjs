// runner.mjs: a small sequential step runner with TAP-like output, and
// helpers to wait with a bound and to explain a failure.

import { inspect } from 'node:util';

/** Runs named steps in order; the first failing step stops the run. */
export class Runner {
  constructor(out = console.log) {
    this.out = out;
    this.passed = 0;
    this.failed = 0;
    this.n = 0;
  }

  /** Runs fn as a step and returns its result; rethrows a StepError on failure. */
  async step(name, fn) {
    const n = ++this.n;
    const t0 = Date.now();
    try {
      const result = await fn();
      this.passed++;
      this.out(`ok ${n} - ${name} (${Date.now() - t0} ms)`);
      return result;
    } catch (err) {
      this.failed++;
      this.out(`not ok ${n} - ${name}`);
      throw new StepError(name, err);
    }
  }

  /** The closing line: "N passed, N failed". */
  summary() {
    return `${this.passed} passed, ${this.failed} failed`;
  }
}

/** A failed step: the step's name and the error it threw. */
export class StepError extends Error {
  constructor(step, cause) {
    super(`step "${step}" failed: ${cause && cause.message ? cause.message : String(cause)}`);
    this.step = step;
    this.cause = cause;
  }
}

/** Resolves to p's value, or rejects if p has not settled within ms. */
export function withTimeout(p, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** A promise with its resolve and reject exposed. */
export function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A readable account of an error, with the fields ethers and web3 attach
 * (code, action, reason, revert data, the JSON-RPC error and request).
 */
export function describeError(err) {
  const lines = [];
  let e = err;
  for (let depth = 0; e && depth < 4; depth++, e = e.cause) {
    lines.push(depth === 0 ? String(e.stack || e) : `caused by: ${e.stack || e}`);
    const extra = {};
    for (const k of ['code', 'action', 'reason', 'data', 'revert', 'info', 'receipt', 'innerError', 'rpcError']) {
      if (e[k] !== undefined && e[k] !== null) extra[k] = e[k];
    }
    if (Object.keys(extra).length > 0) {
      lines.push(inspect(extra, { depth: 6, breakLength: 120 }));
    }
    if (!(e instanceof StepError) && !e.cause) break;
  }
  return lines.join('\n');
}
