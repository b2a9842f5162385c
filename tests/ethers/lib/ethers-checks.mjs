// ethers-checks.mjs: the checks made with ethers v6 over HTTP JSON-RPC.
// Each check is a step of the runner; ctx carries what later steps need.

import assert from 'node:assert/strict';
import { ethers } from 'ethers';

export const TX_WAIT_MS = 60_000;

/** Sends a transaction (a promise of a TransactionResponse) and waits for its receipt. */
export async function mined(txPromise) {
  const tx = await txPromise;
  const receipt = await tx.wait(1, TX_WAIT_MS);
  return { tx, receipt };
}

/** Awaits p and returns the error it rejects with; fails if it resolves. */
async function rejection(p, what) {
  try {
    const v = await p;
    assert.fail(`${what} succeeded (returned ${String(v)}) but should have reverted`);
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    return err;
  }
}

function assertAddr(actual, expected, what) {
  assert.equal(ethers.getAddress(actual), ethers.getAddress(expected), what);
}

/** Checks what a successful receipt of a tx from ctx.wallet must hold. */
function checkReceipt(ctx, tx, receipt, to) {
  assert.equal(receipt.status, 1, 'receipt status');
  assert.equal(receipt.hash, tx.hash, 'receipt transactionHash');
  assertAddr(receipt.from, ctx.wallet.address, 'receipt from');
  if (to === null) {
    assert.equal(receipt.to, null, 'receipt to of a deployment');
  } else {
    assertAddr(receipt.to, to, 'receipt to');
  }
  assert.ok(receipt.gasUsed > 21000n, `gasUsed ${receipt.gasUsed} should exceed the 21000 intrinsic gas`);
  assert.ok(receipt.gasUsed <= tx.gasLimit, `gasUsed ${receipt.gasUsed} exceeds gasLimit ${tx.gasLimit}`);
  assert.ok(receipt.cumulativeGasUsed >= receipt.gasUsed, 'cumulativeGasUsed < gasUsed');
  if (ctx.zeroFees) {
    assert.equal(receipt.gasPrice, 0n, 'effectiveGasPrice on a zero-fee chain');
  }
  for (const log of receipt.logs) {
    assert.equal(log.transactionHash, tx.hash, 'log transactionHash');
    assert.equal(log.blockHash, receipt.blockHash, 'log blockHash');
    assert.equal(log.blockNumber, receipt.blockNumber, 'log blockNumber');
    assert.equal(log.transactionIndex, receipt.index, 'log transactionIndex');
    assert.ok(!log.removed, 'log removed');
  }
  ctx.receipts.push(receipt);
}

/**
 * Checks the transaction as the node returns it: type, sender, position, and
 * that hashing and recovering its returned fields gives back its hash and
 * sender.
 */
async function checkTxByHash(ctx, hash, receipt, type) {
  const got = await ctx.provider.getTransaction(hash);
  assert.ok(got, `eth_getTransactionByHash returned null for mined tx ${hash}`);
  assert.equal(got.hash, hash);
  assert.equal(got.type, type, 'tx type');
  assert.equal(got.chainId, ctx.chainId, 'tx chainId');
  assertAddr(got.from, ctx.wallet.address, 'tx from');
  assert.equal(got.blockNumber, receipt.blockNumber, 'tx blockNumber');
  assert.equal(got.blockHash, receipt.blockHash, 'tx blockHash');
  assert.equal(got.index, receipt.index, 'tx index');
  const fields = {
    type: got.type, to: got.to, nonce: got.nonce, gasLimit: got.gasLimit, data: got.data,
    value: got.value, chainId: got.chainId, signature: got.signature,
  };
  if (type === 0) {
    fields.gasPrice = got.gasPrice;
    if (ctx.zeroFees) assert.equal(got.gasPrice, 0n, 'gasPrice of a legacy tx on a zero-fee chain');
  } else {
    fields.maxFeePerGas = got.maxFeePerGas;
    fields.maxPriorityFeePerGas = got.maxPriorityFeePerGas;
    fields.accessList = got.accessList;
  }
  const rebuilt = ethers.Transaction.from(fields);
  assert.equal(rebuilt.hash, hash, 'hash of the fields eth_getTransactionByHash returned');
  assertAddr(rebuilt.from, ctx.wallet.address, 'sender recovered from the returned signature');

  const block = await ctx.provider.getBlock(receipt.blockNumber);
  assert.ok(block, `eth_getBlockByNumber(${receipt.blockNumber}) returned null`);
  assert.equal(block.hash, receipt.blockHash, 'block hash vs receipt blockHash');
  assert.ok(block.transactions.includes(hash), 'block does not list the tx');
  const byHash = await ctx.provider.getBlock(receipt.blockHash);
  assert.equal(byHash.number, receipt.blockNumber, 'eth_getBlockByHash number');
  if (receipt.blockNumber > 0) {
    const parent = await ctx.provider.getBlock(receipt.blockNumber - 1);
    assert.equal(block.parentHash, parent.hash, 'parentHash');
  }
}

/** Decodes one ValueSet log of the Store contract. */
function valueSet(ctx, log) {
  assertAddr(log.address, ctx.storeAddress, 'ValueSet log address');
  const ev = ctx.store.interface.parseLog(log);
  assert.ok(ev && ev.name === 'ValueSet', `log is not ValueSet: ${JSON.stringify(log.topics)}`);
  assert.equal(log.topics[0], ethers.id('ValueSet(address,uint256,uint256)'), 'topic0');
  assert.equal(log.topics[1], ethers.zeroPadValue(ev.args.who, 32), 'topic1 (who)');
  assert.equal(log.topics[2], ethers.toBeHex(ev.args.oldValue, 32), 'topic2 (oldValue)');
  return { who: ev.args.who, oldValue: ev.args.oldValue, newValue: ev.args.newValue };
}

export async function chainChecks(r, ctx) {
  await r.step('eth_chainId, net_version and the latest block', async () => {
    const raw = await ctx.provider.send('eth_chainId', []);
    assert.match(raw, /^0x[0-9a-f]+$/, 'eth_chainId is a hex quantity');
    ctx.chainId = BigInt(raw);
    assert.ok(ctx.chainId > 0n, 'chain id is positive');
    assert.equal((await ctx.provider.getNetwork()).chainId, ctx.chainId, 'ethers network chainId');
    assert.match(await ctx.provider.send('net_version', []), /^[0-9]+$/, 'net_version is a decimal string');
    const n = await ctx.provider.getBlockNumber();
    const latest = await ctx.provider.getBlock('latest');
    assert.ok(latest.number >= n, 'latest block number');
    const genesis = await ctx.provider.getBlock(0);
    assert.equal(genesis.number, 0);
    assert.equal(genesis.parentHash, ethers.ZeroHash, 'genesis parentHash');
  });
  if (ctx.zeroFees) {
    await r.step('fees are zero and a fresh account has no balance', async () => {
      assert.equal(BigInt(await ctx.provider.send('eth_gasPrice', [])), 0n, 'eth_gasPrice');
      assert.equal(BigInt(await ctx.provider.send('eth_maxPriorityFeePerGas', [])), 0n, 'eth_maxPriorityFeePerGas');
      const latest = await ctx.provider.getBlock('latest');
      assert.equal(latest.baseFeePerGas, 0n, 'latest block baseFeePerGas');
      assert.equal((await ctx.provider.getFeeData()).gasPrice, 0n, 'ethers feeData.gasPrice');
      assert.equal(await ctx.provider.getBalance(ctx.wallet.address), 0n, 'balance of a fresh account');
    });
  }
}

export async function storeChecks(r, ctx) {
  const { Store } = ctx.compiled;
  await r.step('deploy Store(7): receipt, contract address, constructor log, code', async () => {
    const factory = new ethers.ContractFactory(Store.abi, '0x' + Store.bin, ctx.wallet);
    const nonce = await ctx.provider.getTransactionCount(ctx.wallet.address);
    const store = await factory.deploy(7);
    const { tx, receipt } = await mined(store.deploymentTransaction());
    checkReceipt(ctx, tx, receipt, null);
    const expected = ethers.getCreateAddress({ from: ctx.wallet.address, nonce });
    assertAddr(receipt.contractAddress, expected, 'receipt contractAddress vs getCreateAddress');
    assertAddr(await store.getAddress(), expected, 'contract target');
    ctx.store = store;
    ctx.storeAddress = expected;
    ctx.deployBlock = receipt.blockNumber;
    assert.equal(receipt.logs.length, 1, 'constructor logs');
    const ev = valueSet(ctx, receipt.logs[0]);
    assertAddr(ev.who, ctx.wallet.address, 'ValueSet.who');
    assert.equal(ev.oldValue, 0n);
    assert.equal(ev.newValue, 7n);
    assert.equal(await ctx.provider.getCode(expected), '0x' + Store.binRuntime, 'eth_getCode vs Store.bin-runtime');
    await checkTxByHash(ctx, tx.hash, receipt, tx.type);
  });

  await r.step('views: get(), count(), MAX()', async () => {
    assert.equal(await ctx.store.get(), 7n, 'get()');
    assert.equal(await ctx.store.count(), 0n, 'count()');
    assert.equal(await ctx.store.MAX(), 1_000_000n, 'MAX()');
    assert.equal(await ctx.store.divide(10, 3), 3n, 'divide(10, 3)');
  });

  await r.step('EIP-1559 (type 2) tx: set(42), its log and topics', async () => {
    const fee = await ctx.provider.getFeeData();
    // A zero base fee makes ethers treat the chain as pre-1559, so give the fees.
    const fees = fee.maxFeePerGas != null
      ? { maxFeePerGas: fee.maxFeePerGas, maxPriorityFeePerGas: fee.maxPriorityFeePerGas }
      : { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n };
    const { tx, receipt } = await mined(ctx.store.set(42, { type: 2, ...fees }));
    assert.equal(tx.type, 2, 'sent tx type');
    checkReceipt(ctx, tx, receipt, ctx.storeAddress);
    assert.equal(receipt.type, 2, 'receipt type');
    assert.equal(receipt.logs.length, 1, 'logs of set');
    const ev = valueSet(ctx, receipt.logs[0]);
    assert.deepEqual([ev.oldValue, ev.newValue], [7n, 42n], 'ValueSet(old, new)');
    await checkTxByHash(ctx, tx.hash, receipt, 2);
    ctx.block42 = receipt.blockNumber;
    ctx.block42Hash = receipt.blockHash;
    assert.equal(await ctx.store.get(), 42n, 'get() after set(42)');
    assert.equal(await ctx.store.count(), 1n, 'count() after set(42)');
    assert.equal(await ctx.store.get({ blockTag: ctx.deployBlock }), 7n, 'get() at the deployment block');
  });

  await r.step('legacy (type 0) tx: set(43)', async () => {
    const { tx, receipt } = await mined(ctx.store.set(43, { type: 0 }));
    assert.equal(tx.type, 0, 'sent tx type');
    checkReceipt(ctx, tx, receipt, ctx.storeAddress);
    assert.equal(receipt.type, 0, 'receipt type');
    const ev = valueSet(ctx, receipt.logs[0]);
    assert.deepEqual([ev.oldValue, ev.newValue], [42n, 43n], 'ValueSet(old, new)');
    await checkTxByHash(ctx, tx.hash, receipt, 0);
    ctx.block43 = receipt.blockNumber;
    assert.equal(await ctx.store.get(), 43n, 'get() after set(43)');
  });

  await r.step('revert reason "zero not allowed" via estimateGas', async () => {
    for (const [what, p] of [
      ['set(0) sent', () => ctx.store.set(0)],
      ['set.estimateGas(0)', () => ctx.store.set.estimateGas(0)],
    ]) {
      const err = await rejection(p(), what);
      assert.equal(err.code, 'CALL_EXCEPTION', `${what}: error code (${err.message})`);
      assert.equal(err.action, 'estimateGas', `${what}: error action`);
      assert.equal(err.reason, 'zero not allowed', `${what}: revert reason`);
      assert.equal(err.revert && err.revert.name, 'Error', `${what}: revert name`);
    }
  });

  await r.step('revert reason "zero not allowed" via eth_call', async () => {
    const err = await rejection(ctx.store.set.staticCall(0), 'set.staticCall(0)');
    assert.equal(err.code, 'CALL_EXCEPTION', `error code (${err.message})`);
    assert.equal(err.action, 'call', 'error action');
    assert.equal(err.reason, 'zero not allowed', 'revert reason');
    assert.deepEqual([...err.revert.args], ['zero not allowed'], 'Error(string) args');
    // The raw JSON-RPC error: the revert data is what clients decode.
    const data = ctx.store.interface.encodeFunctionData('set', [0]);
    const raw = await fetch(ctx.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0', id: 7, method: 'eth_call',
        params: [{ from: ctx.wallet.address, to: ctx.storeAddress, data }, 'latest'],
      }),
    }).then((res) => res.json());
    assert.ok(raw.error, `eth_call of a reverting call answered without error: ${JSON.stringify(raw)}`);
    assert.equal(raw.id, 7, 'response id');
    assert.equal(typeof raw.error.code, 'number', 'error code');
    assert.match(raw.error.message, /revert/i, 'error message mentions the revert');
    const reason = ethers.AbiCoder.defaultAbiCoder().encode(['string'], ['zero not allowed']);
    assert.equal(raw.error.data, '0x08c379a0' + reason.slice(2), 'error data is Error("zero not allowed")');
  });

  await r.step('custom error TooLarge(value, max) via eth_call and estimateGas', async () => {
    const tooBig = 1_000_001n;
    let err = await rejection(ctx.store.set.staticCall(tooBig), 'set.staticCall(MAX+1)');
    assert.equal(err.code, 'CALL_EXCEPTION', `error code (${err.message})`);
    assert.equal(err.revert && err.revert.name, 'TooLarge', 'ethers error.revert.name');
    assert.deepEqual([...err.revert.args], [tooBig, 1_000_000n], 'ethers error.revert.args');
    err = await rejection(ctx.store.failCustom.staticCall(5), 'failCustom.staticCall(5)');
    assert.equal(err.revert && err.revert.name, 'TooLarge', 'failCustom: error.revert.name');
    assert.deepEqual([...err.revert.args], [5n, 1_000_000n], 'failCustom: error.revert.args');
    for (const [what, p] of [
      ['set.estimateGas(MAX+1)', () => ctx.store.set.estimateGas(tooBig)],
      ['set(MAX+1) sent', () => ctx.store.set(tooBig)],
    ]) {
      err = await rejection(p(), what);
      assert.equal(err.code, 'CALL_EXCEPTION', `${what}: error code (${err.message})`);
      assert.ok(ethers.isHexString(err.data) && err.data.length > 10, `${what}: error carries revert data`);
      const parsed = ctx.store.interface.parseError(err.data);
      assert.equal(parsed && parsed.name, 'TooLarge', `${what}: parseError name`);
      assert.deepEqual([...parsed.args], [tooBig, 1_000_000n], `${what}: parseError args`);
    }
  });

  await r.step('panic 0x12 (division by zero) via eth_call', async () => {
    const err = await rejection(ctx.store.divide.staticCall(1, 0), 'divide.staticCall(1, 0)');
    assert.equal(err.code, 'CALL_EXCEPTION', `error code (${err.message})`);
    assert.equal(err.revert && err.revert.name, 'Panic', 'error.revert.name');
    assert.equal(BigInt(err.revert.args[0]), 0x12n, 'panic code');
  });

  await r.step('a reverting tx sent without estimation is mined with status 0', async () => {
    const nonce = await ctx.provider.getTransactionCount(ctx.wallet.address);
    const tx = await ctx.store.set(0, { gasLimit: 200_000 });
    assert.equal(tx.nonce, nonce, 'tx nonce');
    const err = await rejection(tx.wait(1, TX_WAIT_MS), 'wait() for a reverting tx');
    assert.equal(err.code, 'CALL_EXCEPTION', `error code (${err.message})`);
    const receipt = await ctx.provider.getTransactionReceipt(tx.hash);
    assert.ok(receipt, 'receipt of the reverted tx');
    assert.equal(receipt.status, 0, 'receipt status');
    assert.equal(receipt.logs.length, 0, 'a reverted tx has no logs');
    assert.ok(receipt.gasUsed > 21000n && receipt.gasUsed < 200_000n, `gasUsed ${receipt.gasUsed}`);
    assert.equal(await ctx.provider.getTransactionCount(ctx.wallet.address), nonce + 1, 'nonce after a reverted tx');
    assert.equal(await ctx.store.get(), 43n, 'state unchanged by the reverted tx');
  });

  await r.step('several logs from one tx: ping(3, tag)', async () => {
    const tag = ethers.id('gobcos');
    const { tx, receipt } = await mined(ctx.store.ping(3, tag));
    checkReceipt(ctx, tx, receipt, ctx.storeAddress);
    assert.equal(receipt.logs.length, 3, 'Ping logs');
    receipt.logs.forEach((log, i) => {
      const ev = ctx.store.interface.parseLog(log);
      assert.equal(ev.name, 'Ping');
      assert.equal(ev.args.seq, BigInt(i), 'Ping.seq');
      assert.equal(ev.args.tag, tag, 'Ping.tag');
      if (i > 0) assert.equal(log.index, receipt.logs[i - 1].index + 1, 'log indexes are consecutive');
    });
    ctx.pingBlock = receipt.blockNumber;
  });
}

export async function factoryChecks(r, ctx) {
  const { Factory, Child } = ctx.compiled;
  const coder = ethers.AbiCoder.defaultAbiCoder();
  const childAt = (addr) => new ethers.Contract(addr, Child.abi, ctx.provider);
  const created = (receipt) => {
    const logs = receipt.logs.map((l) => ctx.factory.interface.parseLog(l)).filter((e) => e && e.name === 'Created');
    assert.equal(logs.length, 1, 'Created logs');
    return logs[0].args;
  };
  const checkChild = async (addr, tag) => {
    assert.equal(await ctx.provider.getCode(addr), '0x' + Child.binRuntime, `code at child ${addr}`);
    assert.equal(await childAt(addr).tag(), tag, 'child tag()');
    assertAddr(await childAt(addr).creator(), ctx.factoryAddress, 'child creator()');
  };

  await r.step('Factory: CREATE address = getCreateAddress(factory, nonce), nonce from 1', async () => {
    const f = await new ethers.ContractFactory(Factory.abi, '0x' + Factory.bin, ctx.wallet).deploy();
    const { tx, receipt } = await mined(f.deploymentTransaction());
    checkReceipt(ctx, tx, receipt, null);
    ctx.factory = f;
    ctx.factoryAddress = receipt.contractAddress;
    assert.equal(await ctx.provider.getTransactionCount(ctx.factoryAddress), 1, 'a new contract has nonce 1 (EIP-161)');
    const res = await mined(f.create(5));
    checkReceipt(ctx, res.tx, res.receipt, ctx.factoryAddress);
    const ev = created(res.receipt);
    assert.equal(ev.create2, false);
    assertAddr(ev.child, ethers.getCreateAddress({ from: ctx.factoryAddress, nonce: 1 }), 'CREATE child address');
    await checkChild(ev.child, 5n);
    assert.equal(await ctx.provider.getTransactionCount(ctx.factoryAddress), 2, 'factory nonce after CREATE');
  });

  await r.step('Factory: CREATE2 address = getCreate2Address(factory, salt, keccak(initCode))', async () => {
    const salt = ethers.id('gobcos create2 salt');
    const initCode = ethers.concat(['0x' + Child.bin, coder.encode(['uint256'], [6])]);
    const expected = ethers.getCreate2Address(ctx.factoryAddress, salt, ethers.keccak256(initCode));
    assertAddr(await ctx.factory.predict(salt, 6), expected, 'predict() vs getCreate2Address');
    const res = await mined(ctx.factory.create2(salt, 6));
    checkReceipt(ctx, res.tx, res.receipt, ctx.factoryAddress);
    const ev = created(res.receipt);
    assert.equal(ev.create2, true);
    assert.equal(ev.salt, salt, 'Created.salt');
    assertAddr(ev.child, expected, 'CREATE2 child address');
    await checkChild(expected, 6n);
    // CREATE2 bumps the nonce too, so the next CREATE uses nonce 3.
    const next = await mined(ctx.factory.create(7));
    checkReceipt(ctx, next.tx, next.receipt, ctx.factoryAddress);
    assertAddr(created(next.receipt).child, ethers.getCreateAddress({ from: ctx.factoryAddress, nonce: 3 }), 'CREATE after CREATE2');
    const err = await rejection(ctx.factory.create2.staticCall(salt, 6), 'create2 with a used salt');
    assert.equal(err.code, 'CALL_EXCEPTION', `create2 collision: error code (${err.message})`);
  });
}

export async function logChecks(r, ctx) {
  await r.step('events: contract.queryFilter and provider.getLogs filters', async () => {
    const latest = await ctx.provider.getBlockNumber();
    const all = await ctx.store.queryFilter('ValueSet', ctx.deployBlock, latest);
    assert.deepEqual(all.map((e) => e.args.newValue), [7n, 42n, 43n], 'ValueSet newValues since deployment');
    for (const e of all) assertAddr(e.args.who, ctx.wallet.address, 'ValueSet.who');

    const by42 = await ctx.store.queryFilter(ctx.store.filters.ValueSet(ctx.wallet.address, 42n), ctx.deployBlock, latest);
    assert.deepEqual(by42.map((e) => e.args.newValue), [43n], 'filter on indexed who and oldValue=42');
    const other = await ctx.store.queryFilter(ctx.store.filters.ValueSet(ethers.ZeroAddress), ctx.deployBlock, latest);
    assert.equal(other.length, 0, 'filter on another indexed who');

    const topic0 = ethers.id('ValueSet(address,uint256,uint256)');
    const one = await ctx.provider.getLogs({ address: ctx.storeAddress, topics: [topic0], fromBlock: ctx.block42, toBlock: ctx.block42 });
    assert.equal(one.length, 1, 'getLogs over the block of set(42)');
    assert.equal(ctx.store.interface.parseLog(one[0]).args.newValue, 42n);
    const either = await ctx.provider.getLogs({
      address: ctx.storeAddress,
      topics: [topic0, null, [ethers.toBeHex(7, 32), ethers.toBeHex(42, 32)]],
      fromBlock: ctx.deployBlock, toBlock: latest,
    });
    assert.deepEqual(either.map((l) => ctx.store.interface.parseLog(l).args.newValue), [42n, 43n], 'OR of oldValue topics');
    const wrongAddr = await ctx.provider.getLogs({ address: ctx.factoryAddress, topics: [topic0], fromBlock: ctx.deployBlock, toBlock: latest });
    assert.equal(wrongAddr.length, 0, 'ValueSet topic at the factory address');
    const byHash = await ctx.provider.getLogs({ blockHash: ctx.block42Hash });
    assert.ok(byHash.some((l) => l.blockNumber === ctx.block42 && l.topics[0] === topic0), 'getLogs by blockHash');
    const before = await ctx.provider.getLogs({ address: ctx.storeAddress, fromBlock: 0, toBlock: ctx.deployBlock - 1 });
    assert.equal(before.length, 0, 'no Store logs before its deployment');

    // Every log of both contracts in the range is one of the receipts' logs, in order.
    const addrs = [ctx.storeAddress, ctx.factoryAddress].map((a) => a.toLowerCase());
    const got = await ctx.provider.getLogs({ address: [ctx.storeAddress, ctx.factoryAddress], fromBlock: ctx.deployBlock, toBlock: latest });
    const want = ctx.receipts
      .filter((rc) => rc.blockNumber >= ctx.deployBlock && rc.blockNumber <= latest)
      .flatMap((rc) => rc.logs)
      .filter((l) => addrs.includes(l.address.toLowerCase()));
    const key = (l) => `${l.blockNumber}/${l.index}/${l.transactionHash}`;
    assert.deepEqual(got.map(key), want.map(key), 'getLogs with an address list vs the receipts');
  });
}
