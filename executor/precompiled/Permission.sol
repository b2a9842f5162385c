// SPDX-License-Identifier: Apache-2.0
pragma solidity >=0.8.0;

/// @title Permission, a gobcos system contract
/// @notice Native contract at 0x0000000000000000000000000000000000001004.
/// Roles: 1 governor (the Committee's members), 2 operator, 3 deployer,
/// 4 regulator, 5 auditor. Roles are granted and revoked by Committee
/// proposal (proposeRole); operators also grant and revoke the deployer
/// role directly. When the deploy allow-list is on (proposeDeployMode) and
/// permission_check is 1, only deployers, operators and governors may
/// deploy. Regulators freeze and unfreeze accounts and contracts directly
/// (governors by proposeFreeze); only a proposal abolishes a contract.
/// A frozen account's transactions are refused; a call to a frozen or
/// abolished contract reverts. Status changes apply from the next block.
/// Contract status: 0 normal, 1 frozen, 2 abolished.
/// Method access: a contract's admin (its deployer, recorded when it first
/// manages access; a proposal can reset it) sets a function's mode (0 open,
/// 1 allow-list, 2 deny-list) and lists accounts. With permission_check 1,
/// a transaction calling a function its sender may not call fails. Only
/// transactions calling the contract directly are checked.
/// Reads cost 3000 gas, writes 60000, plus 40 per input byte.
interface Permission {
    event RoleChanged(address indexed account, uint8 role, bool granted);
    event AccountStatusChanged(address indexed account, bool frozen, uint64 enableNumber);
    event ContractStatusChanged(address indexed target, uint8 status, uint64 enableNumber);
    event DeployModeChanged(bool allowList);
    event AdminChanged(address indexed target, address admin);
    event MethodAuthModeSet(address indexed target, bytes4 selector, uint8 mode);
    event MethodAuthSet(address indexed target, bytes4 selector, address account, bool listed);

    function hasRole(address account, uint8 role) external view returns (bool);
    function getRoleMembers(uint8 role) external view returns (address[] memory);
    function isAccountFrozen(address account) external view returns (bool);
    function contractStatus(address target) external view returns (uint8);
    function deployAllowList() external view returns (bool);
    function canDeploy(address account) external view returns (bool);

    /// By an operator.
    function grantDeployer(address account) external;
    function revokeDeployer(address account) external;
    /// By a regulator.
    function freezeAccount(address account) external;
    function unfreezeAccount(address account) external;
    function freezeContract(address target) external;
    function unfreezeContract(address target) external;

    function contractAdmin(address target) external view returns (address);
    /// By the contract's admin.
    function setMethodAuthMode(address target, bytes4 selector, uint8 mode) external;
    function setMethodAuth(address target, bytes4 selector, address account, bool listed) external;
    function getMethodAuth(address target, bytes4 selector, address account) external view
        returns (uint8 mode, bool listed, bool allowed);
}
