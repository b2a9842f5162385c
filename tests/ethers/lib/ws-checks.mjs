// ws-checks.mjs: subscriptions over WebSocket with ethers' WebSocketProvider
// (eth_subscribe newHeads and logs) on the node's RPC port.

import assert from 'node:assert/strict';
import { ethers } from 'ethers';
import { deferred, withTimeout } from './runner.mjs';
import { mined } from './ethers-checks.mjs';

const SUBSCRIBE_MS = 15_000;
const NOTIFY_MS = 30_000;

export async function wsChecks(r, ctx) {
  await r.step('WebSocket: newHeads and logs subscriptions see the block of a new tx', async () => {
    const ws = new ethers.WebSocketProvider(ctx.wsUrl);
    try {
      // ethers sends eth_subscribe through its public send(); record the ids
      // so that the tx is sent only once both subscriptions are in place.
      const subs = { newHeads: deferred(), logs: deferred() };
      const send = ws.send.bind(ws);
      ws.send = async (method, params) => {
        const res = await send(method, params);
        if (method === 'eth_subscribe' && subs[params[0]]) subs[params[0]].resolve(res);
        return res;
      };
      assert.equal((await withTimeout(ws.getNetwork(), SUBSCRIBE_MS, 'the WebSocket connection')).chainId, ctx.chainId, 'chain id over WebSocket');

      // The raw notifications, to check the header fields themselves.
      const heads = [];
      ws.websocket.addEventListener('message', (msg) => {
        try {
          const m = JSON.parse(typeof msg.data === 'string' ? msg.data : msg.data.toString());
          if (m.method === 'eth_subscription' && m.params && m.params.result && m.params.result.parentHash) {
            heads.push(m.params);
          }
        } catch {
          // not JSON: ethers reports that itself
        }
      });

      const blocks = [];
      let wantBlock = null;
      const sawBlock = deferred();
      await ws.on('block', (n) => {
        blocks.push(n);
        if (wantBlock !== null && n >= wantBlock) sawBlock.resolve(n);
      });
      const wsStore = new ethers.Contract(ctx.storeAddress, ctx.compiled.Store.abi, ws);
      const sawLog = deferred();
      await wsStore.on('ValueSet', (who, oldValue, newValue, ev) => {
        if (newValue === 44n) sawLog.resolve({ who, oldValue, ev });
      });
      const headsId = await withTimeout(subs.newHeads.promise, SUBSCRIBE_MS, 'the eth_subscribe newHeads answer');
      const logsId = await withTimeout(subs.logs.promise, SUBSCRIBE_MS, 'the eth_subscribe logs answer');
      assert.ok(typeof headsId === 'string' && headsId.length > 0, `newHeads subscription id ${headsId}`);
      assert.ok(typeof logsId === 'string' && logsId.length > 0 && logsId !== headsId, `logs subscription id ${logsId}`);

      const { receipt } = await mined(ctx.store.set(44));
      assert.equal(receipt.status, 1);
      wantBlock = receipt.blockNumber;
      if (blocks.some((n) => n >= wantBlock)) sawBlock.resolve(wantBlock);
      await withTimeout(sawBlock.promise, NOTIFY_MS, `a newHeads notification for block ${wantBlock}`);
      const head = heads.find((h) => h.subscription === headsId && BigInt(h.result.number) === BigInt(wantBlock));
      assert.ok(head, `no newHeads notification with number ${wantBlock} (got ${heads.map((h) => h.result.number)})`);
      assert.equal(head.result.hash, receipt.blockHash, 'newHeads hash vs receipt blockHash');
      const parent = await ctx.provider.getBlock(wantBlock - 1);
      assert.equal(head.result.parentHash, parent.hash, 'newHeads parentHash');

      const got = await withTimeout(sawLog.promise, NOTIFY_MS, 'the ValueSet(…, 44) log notification');
      assert.equal(ethers.getAddress(got.who), ctx.wallet.address, 'ValueSet.who over WebSocket');
      assert.equal(got.oldValue, 43n, 'ValueSet.oldValue over WebSocket');
      assert.equal(got.ev.log.transactionHash, receipt.hash, 'log notification transactionHash');
      assert.equal(got.ev.log.blockNumber, receipt.blockNumber, 'log notification blockNumber');
    } finally {
      await ws.destroy();
    }
  });
}
