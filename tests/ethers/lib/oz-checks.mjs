// oz-checks.mjs: third-party contracts (OpenZeppelin Contracts, from npm)
// compiled with solc at test time and driven with ethers v6, as an
// application team would: an ERC-20 with EIP-2612 permits and role-based
// minting, an ERC-721 with safe transfers to a contract, and a UUPS proxy
// upgraded in place.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ethers } from 'ethers';
import { mined } from './ethers-checks.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PKG_DIR = path.resolve(HERE, '..');
const SOURCE = 'OpenZeppelin.sol';

/**
 * Compiles contracts/OpenZeppelin.sol with the pinned solc, resolving
 * imports from node_modules. Returns {name: {abi, bin}}.
 */
export function compileOpenZeppelin() {
  const require = createRequire(path.join(PKG_DIR, 'package.json'));
  const solc = require('solc');
  const input = {
    language: 'Solidity',
    sources: { [SOURCE]: { content: readFileSync(path.join(PKG_DIR, 'contracts', SOURCE), 'utf8') } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { [SOURCE]: { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const findImports = (name) => {
    try {
      return { contents: readFileSync(require.resolve(name), 'utf8') };
    } catch (err) {
      return { error: `cannot resolve import ${name}: ${err.message}` };
    }
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const errors = (out.errors || []).filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    throw new Error(`solc: ${errors.map((e) => e.formattedMessage).join('\n')}`);
  }
  const contracts = {};
  for (const [name, c] of Object.entries(out.contracts[SOURCE])) {
    contracts[name] = { abi: c.abi, bin: '0x' + c.evm.bytecode.object };
  }
  return contracts;
}

async function deploy(ctx, contracts, name, signer, ...args) {
  const c = contracts[name];
  const factory = new ethers.ContractFactory(c.abi, c.bin, signer);
  const contract = await factory.deploy(...args);
  const { receipt } = await mined(contract.deploymentTransaction());
  assert.equal(receipt.status, 1, `${name} deployment status`);
  return contract;
}

/** Awaits p, which must reject with a custom error of the given name; returns its args. */
async function customError(p, name, what) {
  let err;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `${what} succeeded but should have reverted with ${name}`);
  assert.equal(err.code, 'CALL_EXCEPTION', `${what}: error code (${err.message})`);
  assert.equal(err.revert && err.revert.name, name, `${what}: revert name (${err.message})`);
  return [...err.revert.args];
}

export async function ozChecks(r, ctx) {
  const contracts = await r.step('compile OpenZeppelin Contracts (ERC-20 permit, ERC-721, AccessControl, UUPS proxy) with solc', async () => {
    const c = compileOpenZeppelin();
    for (const name of ['OZToken', 'OZBadge', 'OZBadgeHolder', 'OZCounterV1', 'OZCounterV2', 'OZProxy']) {
      assert.ok(c[name], `solc produced no ${name}`);
    }
    return c;
  });
  const admin = ctx.wallet;
  const other = ethers.Wallet.createRandom().connect(ctx.provider);
  if (ctx.fund) {
    await r.step('fund a second wallet', () => ctx.fund(other.address));
  }
  const ethersChainId = (await ctx.provider.getNetwork()).chainId;

  let token;
  await r.step('ERC-20: deploy, role-gated mint, transfer, custom errors', async () => {
    token = await deploy(ctx, contracts, 'OZToken', admin, admin.address);
    const minter = await token.MINTER_ROLE();
    const args = await customError(token.mint.staticCall(admin.address, 1000n), 'AccessControlUnauthorizedAccount', 'mint without the role');
    assert.deepEqual(args, [admin.address, minter], 'AccessControlUnauthorizedAccount(account, role)');
    await mined(token.grantRole(minter, admin.address));
    assert.ok(await token.hasRole(minter, admin.address), 'hasRole after grantRole');
    await mined(token.mint(admin.address, 1000n));
    const { receipt } = await mined(token.transfer(other.address, 250n));
    const ev = receipt.logs.map((l) => token.interface.parseLog(l)).find((e) => e && e.name === 'Transfer');
    assert.ok(ev, 'Transfer event');
    assert.deepEqual([ev.args.from, ev.args.to, ev.args.value], [admin.address, other.address, 250n], 'Transfer(from, to, value)');
    assert.equal(await token.balanceOf(admin.address), 750n, 'balance of the sender');
    assert.equal(await token.balanceOf(other.address), 250n, 'balance of the recipient');
    assert.equal(await token.totalSupply(), 1000n, 'totalSupply');
    const bal = await customError(token.transfer.staticCall(other.address, 10_000n), 'ERC20InsufficientBalance', 'transfer beyond the balance');
    assert.deepEqual(bal, [admin.address, 750n, 10_000n], 'ERC20InsufficientBalance(sender, balance, needed)');
  });

  await r.step('ERC-20 permit (EIP-2612): an EIP-712 signature with the chain id, spent by another account', async () => {
    const domain = await token.eip712Domain();
    assert.equal(domain.chainId, ethersChainId, 'eip712Domain().chainId (the CHAINID opcode) equals eth_chainId');
    const value = 300n;
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
    const nonce = await token.nonces(admin.address);
    const sig = ethers.Signature.from(await admin.signTypedData(
      { name: domain.name, version: domain.version, chainId: domain.chainId, verifyingContract: domain.verifyingContract },
      {
        Permit: [
          { name: 'owner', type: 'address' }, { name: 'spender', type: 'address' }, { name: 'value', type: 'uint256' },
          { name: 'nonce', type: 'uint256' }, { name: 'deadline', type: 'uint256' },
        ],
      },
      { owner: admin.address, spender: other.address, value, nonce, deadline },
    ));
    const asOther = token.connect(other);
    await mined(asOther.permit(admin.address, other.address, value, deadline, sig.v, sig.r, sig.s));
    assert.equal(await token.allowance(admin.address, other.address), value, 'allowance set by the permit');
    assert.equal(await token.nonces(admin.address), nonce + 1n, 'permit nonce used');
    // A replayed permit is refused: the signer recovered from the old nonce differs.
    await customError(asOther.permit.staticCall(admin.address, other.address, value, deadline, sig.v, sig.r, sig.s), 'ERC2612InvalidSigner', 'replayed permit');
    await mined(asOther.transferFrom(admin.address, other.address, 200n));
    assert.equal(await token.balanceOf(other.address), 450n, 'balance after transferFrom');
    assert.equal(await token.allowance(admin.address, other.address), 100n, 'allowance left');
  });

  await r.step('ERC-721: mint to a contract (onERC721Received), safe transfer, Transfer logs by topic', async () => {
    const badge = await deploy(ctx, contracts, 'OZBadge', admin, admin.address);
    const holder = await deploy(ctx, contracts, 'OZBadgeHolder', admin);
    const holderAddr = await holder.getAddress();
    await mined(badge.mint(admin.address, 7n));
    assert.equal(await badge.ownerOf(7n), admin.address, 'ownerOf(7)');
    const { receipt } = await mined(badge['safeTransferFrom(address,address,uint256)'](admin.address, holderAddr, 7n));
    assert.equal(await badge.ownerOf(7n), holderAddr, 'ownerOf(7) after the safe transfer');
    assert.equal(await holder.lastId(), 7n, 'the receiver hook ran with the token id');
    assert.equal(await holder.lastFrom(), admin.address, 'the receiver hook saw the sender');
    const logs = await badge.queryFilter(badge.filters.Transfer(null, holderAddr), receipt.blockNumber, receipt.blockNumber);
    assert.equal(logs.length, 1, 'Transfer logs to the holder in the transfer block');
    assert.equal(logs[0].args.tokenId, 7n, 'Transfer tokenId');
    assert.ok(await badge.supportsInterface('0x80ac58cd'), 'supportsInterface(ERC-721)');
    await customError(badge.connect(other).mint.staticCall(other.address, 8n), 'AccessControlUnauthorizedAccount', 'mint by a non-admin');
  });

  await r.step('UUPS proxy: initialize through ERC1967Proxy, upgrade to V2 keeping state, owner-only upgrade', async () => {
    const v1 = await deploy(ctx, contracts, 'OZCounterV1', admin);
    const v1Addr = await v1.getAddress();
    const init = v1.interface.encodeFunctionData('initialize', [admin.address]);
    const proxy = await deploy(ctx, contracts, 'OZProxy', admin, v1Addr, init);
    const proxyAddr = await proxy.getAddress();
    const counter = new ethers.Contract(proxyAddr, contracts.OZCounterV2.abi, admin);
    // The ERC-1967 implementation slot, read with eth_getStorageAt.
    const slot = '0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc';
    const impl = ethers.getAddress(ethers.dataSlice(await ctx.provider.getStorage(proxyAddr, slot), 12));
    assert.equal(impl, v1Addr, 'ERC-1967 implementation slot');
    assert.equal(await counter.owner(), admin.address, 'owner set by initialize');
    assert.equal(await counter.version(), 1n, 'version() of V1');
    await mined(counter.increment());
    await mined(counter.increment());
    const v2 = await deploy(ctx, contracts, 'OZCounterV2', admin);
    const v2Addr = await v2.getAddress();
    await customError(counter.connect(other).upgradeToAndCall.staticCall(v2Addr, '0x'), 'NotOwner', 'upgrade by a non-owner');
    const { receipt } = await mined(counter.upgradeToAndCall(v2Addr, '0x'));
    const erc1967 = new ethers.Interface(['event Upgraded(address indexed implementation)']);
    const upgraded = receipt.logs.map((l) => erc1967.parseLog(l)).find((e) => e && e.name === 'Upgraded');
    assert.ok(upgraded, 'Upgraded event in the upgrade receipt');
    assert.equal(upgraded.args.implementation, v2Addr, 'Upgraded(implementation)');
    assert.equal(await counter.version(), 2n, 'version() after the upgrade');
    assert.equal(await counter.count(), 2n, 'state kept across the upgrade');
    await mined(counter.decrement());
    assert.equal(await counter.count(), 1n, 'V2 method works on the kept state');
  });
}
