// SPDX-License-Identifier: Apache-2.0
pragma solidity >=0.8.0;

/// @title Committee, a gobcos system contract
/// @notice Native contract at 0x0000000000000000000000000000000000001001.
/// Governors (with weights) propose changes and vote on them. The proposer
/// votes for its own proposal. After each vote, a proposal is executed when
/// the weight that voted reaches `participation` percent of all governors'
/// weight and the weight for reaches `approval` percent of the weight that
/// voted; it is rejected once approval can no longer be reached. Execution
/// happens in the transaction of the deciding vote; if the change has become
/// impossible (for example it would leave too few sealers) the proposal is
/// marked Failed with the reason. Changes take effect from the next block;
/// from compatibility version 0.4.0, system config, upgrade and node changes
/// from the second block after the deciding vote's (enableNumber in their events).
/// `blocks` is how many blocks after this one the proposal can be voted on
/// (0 means 100000, at most 10000000).
/// Reads cost 3000 gas, writes 60000, plus 40 per input byte. Refusals
/// revert with an Error(string) reason.
interface Committee {
    // Proposal kinds: 1 config, 2 node, 3 role, 4 governor, 5 freeze,
    // 6 upgrade, 7 thresholds, 8 deploy mode, 9 reset contract admin.
    // Statuses: 1 open, 2 executed, 3 rejected, 4 revoked, 5 failed, 6 expired.

    event ProposalCreated(uint64 indexed id, address indexed proposer, uint8 kind, uint64 expiry, bytes payload);
    event VoteCast(uint64 indexed id, address indexed voter, bool agree, uint64 weight);
    event ProposalExecuted(uint64 indexed id);
    event ProposalRejected(uint64 indexed id);
    event ProposalFailed(uint64 indexed id, string reason);
    event ProposalRevoked(uint64 indexed id);
    event GovernorChanged(address indexed account, uint64 weight);
    event ThresholdsChanged(uint8 participation, uint8 approval);

    /// Change a SystemConfig value (not compatibility_version).
    function proposeConfig(string calldata key, string calldata value, uint64 blocks) external returns (uint64 id);
    /// op: 1 add sealer, 2 add observer, 3 remove, 4 set weight (sealers).
    function proposeNode(uint8 op, bytes calldata nodeId, uint64 weight, uint64 blocks) external returns (uint64 id);
    /// role: 2 operator, 3 deployer, 4 regulator, 5 auditor.
    function proposeRole(address account, uint8 role, bool grant, uint64 blocks) external returns (uint64 id);
    /// Add a governor, change its weight, or remove it (weight 0).
    function proposeGovernor(address account, uint64 weight, uint64 blocks) external returns (uint64 id);
    /// action: 1 freeze account, 2 unfreeze account, 3 freeze contract,
    /// 4 unfreeze contract, 5 abolish contract (final).
    function proposeFreeze(address target, uint8 action, uint64 blocks) external returns (uint64 id);
    /// Raise the compatibility version (MAJOR.MINOR.PATCH, only upwards).
    function proposeUpgrade(string calldata version, uint64 blocks) external returns (uint64 id);
    /// Set the participation and approval thresholds, percent 1..100.
    function proposeThresholds(uint8 participation, uint8 approval, uint64 blocks) external returns (uint64 id);
    /// Turn the deploy allow-list on or off.
    function proposeDeployMode(bool allowList, uint64 blocks) external returns (uint64 id);
    /// Set a contract's admin (who manages its method access).
    function proposeResetAdmin(address target, address admin, uint64 blocks) external returns (uint64 id);

    function vote(uint64 id, bool agree) external;
    /// By the proposer, while the proposal is open.
    function revoke(uint64 id) external;

    function getProposal(uint64 id) external view returns (uint8 kind, address proposer, uint64 created, uint64 expiry,
        uint8 status, uint64 forWeight, uint64 againstWeight, bytes memory payload, string memory reason);
    function proposalCount() external view returns (uint64);
    function getGovernors() external view returns (address[] memory accounts, uint64[] memory weights);
    function getThresholds() external view returns (uint8 participation, uint8 approval);
    /// 0 not voted, 1 for, 2 against.
    function getVote(uint64 id, address governor) external view returns (uint8);
}
