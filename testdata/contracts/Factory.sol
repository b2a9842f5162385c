// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title Child: what Factory deploys. It has no immutables, so its code on
/// chain equals the compiled runtime code (Child.bin-runtime).
contract Child {
    /// @notice The constructor argument.
    uint256 public tag;

    /// @notice Who deployed this child: the factory.
    address public creator;

    constructor(uint256 _tag) {
        tag = _tag;
        creator = msg.sender;
    }
}

/// @title Factory: deploys Child with CREATE and CREATE2, so that tests can
/// check the addresses against the Ethereum formulas:
///   CREATE:  keccak256(rlp([factory, nonce]))[12:], the factory's nonce
///            starting at 1 (EIP-161) and growing by one per creation;
///   CREATE2: keccak256(0xff ++ factory ++ salt ++ keccak256(initCode))[12:],
///            initCode = Child creation code ++ abi.encode(tag).
contract Factory {
    /// @notice A child was deployed; salt is zero for CREATE.
    event Created(address indexed child, bytes32 indexed salt, bool create2, uint256 tag);

    /// @notice Deploys a Child with CREATE.
    function create(uint256 tag) external returns (address child) {
        child = address(new Child(tag));
        emit Created(child, bytes32(0), false, tag);
    }

    /// @notice Deploys a Child with CREATE2; reverts if a child already
    /// exists at the address that salt and tag give.
    function create2(bytes32 salt, uint256 tag) external returns (address child) {
        child = address(new Child{salt: salt}(tag));
        emit Created(child, salt, true, tag);
    }

    /// @notice The address create2(salt, tag) deploys to, computed on chain.
    function predict(bytes32 salt, uint256 tag) external view returns (address) {
        bytes32 initCodeHash = keccak256(abi.encodePacked(type(Child).creationCode, abi.encode(tag)));
        bytes32 h = keccak256(abi.encodePacked(bytes1(0xff), address(this), salt, initCodeHash));
        return address(uint160(uint256(h)));
    }
}
