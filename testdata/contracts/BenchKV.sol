// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title BenchKV: the key-value store of the `gobcos bench` kv workload.
/// @notice Each set writes one storage slot (the key's) and counts the
/// writes of the key in a second slot, so two txs on one key conflict.
contract BenchKV {
    mapping(bytes32 => uint256) public values;
    mapping(bytes32 => uint256) public writes;

    /// @notice Stores value under key.
    function set(bytes32 key, uint256 value) external {
        values[key] = value;
        writes[key] += 1;
    }
}
