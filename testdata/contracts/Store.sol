// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title Store: a small value store used by gobcos' integration tests and
/// by the real-client test in tests/ethers.
/// @notice It covers what a client checks against a node: a constructor with
/// an argument and a log, state changes with indexed events, a view, a
/// revert with a reason string, a revert with a custom error, a panic, and
/// several logs from one transaction.
contract Store {
    /// @notice set was given a value above MAX.
    error TooLarge(uint256 value, uint256 max);

    /// @notice The stored value changed from oldValue to newValue.
    event ValueSet(address indexed who, uint256 indexed oldValue, uint256 newValue);

    /// @notice One of the logs of ping: seq counts from 0 within the call.
    event Ping(address indexed from, uint256 indexed seq, bytes32 tag);

    /// @notice The largest value set accepts.
    uint256 public constant MAX = 1_000_000;

    uint256 private value;

    /// @notice How many times set succeeded.
    uint256 public count;

    constructor(uint256 initial) {
        value = initial;
        emit ValueSet(msg.sender, 0, initial);
    }

    /// @notice Stores v. Reverts with "zero not allowed" for 0 and with
    /// TooLarge(v, MAX) above MAX.
    function set(uint256 v) external {
        require(v != 0, "zero not allowed");
        if (v > MAX) {
            revert TooLarge(v, MAX);
        }
        uint256 old = value;
        value = v;
        count += 1;
        emit ValueSet(msg.sender, old, v);
    }

    /// @notice Returns the stored value; emits nothing.
    function get() external view returns (uint256) {
        return value;
    }

    /// @notice Always reverts with TooLarge(v, MAX), whatever v is.
    function failCustom(uint256 v) external pure {
        revert TooLarge(v, MAX);
    }

    /// @notice Returns a / b; b == 0 panics with code 0x12.
    function divide(uint256 a, uint256 b) external pure returns (uint256) {
        return a / b;
    }

    /// @notice Emits n Ping logs (n at most 16), for log index and filter tests.
    function ping(uint256 n, bytes32 tag) external {
        require(n <= 16, "too many pings");
        for (uint256 i = 0; i < n; i++) {
            emit Ping(msg.sender, i, tag);
        }
    }
}
