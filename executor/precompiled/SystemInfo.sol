// SPDX-License-Identifier: Apache-2.0
pragma solidity >=0.8.0;

/// @title SystemInfo, a gobcos system contract
/// @notice Native contract at 0x0000000000000000000000000000000000001000.
/// Every call costs 200 gas. Calls with value, without a selector or with an
/// unknown selector revert with an Error(string) reason.
interface SystemInfo {
    /// @return the chain id of this chain (as in its genesis).
    function chainId() external view returns (uint256);

    /// @return the number of the block being executed.
    function blockNumber() external view returns (uint256);

    /// @return chainId_ the chain id; number the block being executed.
    function info() external view returns (uint256 chainId_, uint256 number);

    /// @return the chain's compatibility version in force in the block being
    /// executed (MAJOR.MINOR.PATCH). Available from compatibility version
    /// 0.2.0; before, the call reverts as an unknown selector.
    function compatibilityVersion() external view returns (string memory);
}
