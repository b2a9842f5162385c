// SPDX-License-Identifier: Apache-2.0
pragma solidity >=0.8.0;

/// @title SystemConfig, a gobcos system contract
/// @notice Native contract at 0x0000000000000000000000000000000000001002.
/// Keys: tx_count_limit, tx_gas_limit, consensus_timeout_ms, leader_period,
/// min_seal_interval_ms, permission_check, compatibility_version (changed by
/// Committee proposals) and block_gas_limit, block_limit_window (fixed at
/// genesis). Values are decimal strings (the version is MAJOR.MINOR.PATCH).
/// A changed value applies from the block after the one that executed the
/// proposal (from compatibility version 0.4.0: the second block after it,
/// enableNumber = that block + 2). Reads cost 3000 gas plus 40 per input byte.
interface SystemConfig {
    event ConfigChanged(string key, string value, uint64 enableNumber);

    /// @return value the value in force in this block; enableNumber the
    /// block it applies from (0: genesis, or not kept).
    function getValueByKey(string calldata key) external view returns (string memory value, uint64 enableNumber);
    function keys() external view returns (string[] memory);
    /// Always reverts: use Committee.proposeConfig.
    function setValueByKey(string calldata key, string calldata value) external;
}
