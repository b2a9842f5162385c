// web3-checks.mjs: a second client, web3.js v4, over HTTP: chain id, block
// number, a contract call and a signed send from a local account.

import assert from 'node:assert/strict';
import { ethers } from 'ethers';
import { Web3 } from 'web3';

export async function web3Checks(r, ctx) {
  const web3 = new Web3(ctx.url);
  const store = new web3.eth.Contract(ctx.compiled.Store.abi, ctx.storeAddress);
  let account;

  await r.step('web3.js: getChainId, getBlockNumber, contract call', async () => {
    assert.equal(await web3.eth.getChainId(), ctx.chainId, 'web3 getChainId');
    const n = await web3.eth.getBlockNumber();
    assert.ok(n >= BigInt(await ctx.provider.getBlockNumber()), `web3 getBlockNumber ${n}`);
    assert.equal(await store.methods.get().call(), await ctx.store.get(), 'web3 get() vs ethers get()');
  });

  await r.step('web3.js: send from a privateKeyToAccount account and its receipt', async () => {
    account = web3.eth.accounts.privateKeyToAccount(ethers.Wallet.createRandom().privateKey);
    web3.eth.accounts.wallet.add(account);
    if (ctx.fund) await ctx.fund(account.address);
    const gasPrice = ctx.zeroFees ? 0n : await web3.eth.getGasPrice();
    const method = store.methods.set(77);
    const gas = await method.estimateGas({ from: account.address });
    assert.ok(gas > 21000n, `web3 estimateGas ${gas}`);
    const receipt = await method.send({ from: account.address, gas, gasPrice });
    assert.equal(receipt.status, 1n, 'web3 receipt status');
    assert.equal(receipt.from.toLowerCase(), account.address.toLowerCase(), 'web3 receipt from');
    assert.equal(receipt.to.toLowerCase(), ctx.storeAddress.toLowerCase(), 'web3 receipt to');
    assert.ok(receipt.gasUsed > 21000n && receipt.gasUsed <= gas, `web3 receipt gasUsed ${receipt.gasUsed}`);
    const ev = receipt.events && receipt.events.ValueSet;
    assert.ok(ev, `web3 receipt has no decoded ValueSet event: ${Object.keys(receipt.events || {})}`);
    assert.equal(ev.returnValues.newValue, 77n, 'ValueSet.newValue');
    assert.equal(ev.returnValues.who.toLowerCase(), account.address.toLowerCase(), 'ValueSet.who');

    const tx = await web3.eth.getTransaction(receipt.transactionHash);
    assert.equal(tx.gasPrice, gasPrice, 'web3 tx gasPrice');
    assert.equal(tx.from.toLowerCase(), account.address.toLowerCase(), 'web3 tx from');
    assert.equal(tx.nonce, 0n, 'first tx of a fresh account has nonce 0');
    const again = await web3.eth.getTransactionReceipt(receipt.transactionHash);
    assert.equal(again.blockHash, receipt.blockHash, 'web3 getTransactionReceipt blockHash');
    assert.equal(await store.methods.get().call(), 77n, 'web3 get() after set(77)');
    assert.equal(await web3.eth.getTransactionCount(account.address), 1n, 'web3 nonce after one tx');
  });
}
