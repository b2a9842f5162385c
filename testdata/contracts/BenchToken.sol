// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title BenchToken: the ERC-20 style token of the `gobcos bench` erc20
/// workload.
/// @notice Only what the load generator needs: balances, transfer with the
/// standard Transfer event, and an open batch mint so the benchmark can give
/// its accounts tokens in a few transactions. Not for real value.
contract BenchToken {
    /// @notice The ERC-20 Transfer event (from is zero for mints).
    event Transfer(address indexed from, address indexed to, uint256 value);

    mapping(address => uint256) public balanceOf;
    uint256 public totalSupply;

    /// @notice Gives amount to every address of to.
    function mintBatch(address[] calldata to, uint256 amount) external {
        for (uint256 i = 0; i < to.length; i++) {
            balanceOf[to[i]] += amount;
            emit Transfer(address(0), to[i], amount);
        }
        totalSupply += amount * to.length;
    }

    /// @notice Moves value from the sender to to; reverts without balance.
    function transfer(address to, uint256 value) external returns (bool) {
        uint256 have = balanceOf[msg.sender];
        require(have >= value, "insufficient balance");
        unchecked {
            balanceOf[msg.sender] = have - value;
        }
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }
}
