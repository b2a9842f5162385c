// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

// Contracts built from OpenZeppelin Contracts (npm @openzeppelin/contracts,
// the version pinned in ../package.json), compiled with solc at test time by
// lib/oz-checks.mjs. They exercise what real applications lean on: ERC-20
// with EIP-2612 permits (EIP-712 signatures, so the chain id the EVM sees and
// ecrecover), role-based access control with custom errors, ERC-721 with safe
// transfers, and a UUPS proxy upgrade (ERC-1967 slots, delegatecall).

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts/proxy/utils/UUPSUpgradeable.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

/// A mintable token: minting needs MINTER_ROLE.
contract OZToken is ERC20, ERC20Permit, AccessControl {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    constructor(address admin) ERC20("Consortium Token", "CTK") ERC20Permit("Consortium Token") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }
}

/// An NFT whose admin mints.
contract OZBadge is ERC721, AccessControl {
    constructor(address admin) ERC721("Consortium Badge", "CBG") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    function mint(address to, uint256 id) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _safeMint(to, id);
    }

    function supportsInterface(bytes4 id) public view override(ERC721, AccessControl) returns (bool) {
        return super.supportsInterface(id);
    }
}

/// A contract that accepts ERC-721 safe transfers and remembers the last.
contract OZBadgeHolder is IERC721Receiver {
    uint256 public lastId;
    address public lastFrom;

    function onERC721Received(address, address from, uint256 id, bytes calldata) external returns (bytes4) {
        lastId = id;
        lastFrom = from;
        return IERC721Receiver.onERC721Received.selector;
    }
}

/// Version 1 of an upgradeable counter behind an ERC1967Proxy.
contract OZCounterV1 is Initializable, UUPSUpgradeable {
    address public owner;
    uint256 public count;

    error NotOwner(address caller);

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    function initialize(address owner_) external initializer {
        owner = owner_;
    }

    function increment() external {
        count += 1;
    }

    function version() external pure virtual returns (uint256) {
        return 1;
    }

    function _authorizeUpgrade(address) internal view override {
        if (msg.sender != owner) revert NotOwner(msg.sender);
    }
}

/// Version 2 adds a method and answers version 2; the storage layout is kept.
contract OZCounterV2 is OZCounterV1 {
    function decrement() external {
        count -= 1;
    }

    function version() external pure override returns (uint256) {
        return 2;
    }
}

/// The proxy, under a name of this file so that solc compiles it here.
contract OZProxy is ERC1967Proxy {
    constructor(address implementation, bytes memory data) payable ERC1967Proxy(implementation, data) {}
}
