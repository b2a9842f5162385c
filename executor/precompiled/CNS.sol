// SPDX-License-Identifier: Apache-2.0
pragma solidity >=0.8.0;

/// @title CNS, the gobcos contract name service
/// @notice Native contract at 0x0000000000000000000000000000000000001005.
/// A name's first registrant owns it; the owner (who must have deployed the
/// contract with CREATE) or an operator or governor registers versions.
/// Versions are immutable. resolve() gives the latest version, unless the
/// name has a gray route: then a sender whose bucket
/// uint64(keccak256(name ++ sender)[0:8]) % 10000 is below shareB gets
/// versionB, the others versionA. Names have 1..128 bytes, versions 1..64,
/// ABIs at most 65536; none may hold a zero byte.
/// Reads cost 3000 gas, writes 60000, plus 40 per input byte.
interface CNS {
    event NameRegistered(address indexed target, address indexed registrant, string name, string version);
    event GrayRouteSet(string name, string versionA, string versionB, uint16 shareB);
    event GrayRouteCleared(string name);

    function register(string calldata name, string calldata version, address target, string calldata abi) external;
    /// Resolve for msg.sender.
    function resolve(string calldata name) external view returns (address target, string memory version);
    function resolveFor(string calldata name, address sender) external view returns (address target, string memory version);
    function resolveVersion(string calldata name, string calldata version) external view returns (address target, string memory abi);
    function versions(string calldata name) external view returns (string[] memory);
    function owner(string calldata name) external view returns (address);
    /// By the owner or an operator; shareB in basis points (0..10000).
    function setGray(string calldata name, string calldata versionA, string calldata versionB, uint16 shareB) external;
    function clearGray(string calldata name) external;
    function getGray(string calldata name) external view returns (string memory versionA, string memory versionB, uint16 shareB);
}
