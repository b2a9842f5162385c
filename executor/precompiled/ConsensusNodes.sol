// SPDX-License-Identifier: Apache-2.0
pragma solidity >=0.8.0;

/// @title ConsensusNodes, a gobcos system contract
/// @notice Native contract at 0x0000000000000000000000000000000000001003.
/// The group's consensus node list: sealers (with weights) and observers,
/// each a 65-byte uncompressed public key. It changes only by Committee
/// proposal (proposeNode), from the block after the one that executed it
/// (from compatibility version 0.4.0: the second block after it);
/// a change that would leave fewer than minSealers() sealers is refused.
/// A sealer weighs 1 or more (at most 2^32 from compatibility version
/// 0.3.0, from which PBFT votes count by weight; below it, one vote each).
/// Reads cost 3000 gas plus 40 per input byte.
interface ConsensusNodes {
    /// nodeType: 0 none (removed), 1 sealer, 2 observer.
    event NodeChanged(bytes nodeId, uint8 nodeType, uint64 weight, uint64 enableNumber);

    function getSealers() external view returns (bytes[] memory nodeIds, uint64[] memory weights);
    function getObservers() external view returns (bytes[] memory nodeIds);
    function getNode(bytes calldata nodeId) external view returns (uint8 nodeType, uint64 weight, uint64 enableNumber);
    function minSealers() external view returns (uint64);

    /// These always revert: use Committee.proposeNode.
    function addSealer(bytes calldata nodeId, uint64 weight) external;
    function addObserver(bytes calldata nodeId) external;
    function remove(bytes calldata nodeId) external;
    function setWeight(bytes calldata nodeId, uint64 weight) external;
}
