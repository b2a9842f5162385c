// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

// Contracts the executor tests deploy. Compiled with solc 0.8.37
// (solcjs --optimize --bin --abi Test.sol); the .bin/.abi files next to
// this one are its output.

interface ISystemInfo {
    function chainId() external view returns (uint256);
    function blockNumber() external view returns (uint256);
    function info() external view returns (uint256, uint256);
}

contract Child {
    uint256 public x = 7;

    function kill() external {
        selfdestruct(payable(msg.sender));
    }
}

contract Store {
    uint256 public value;
    mapping(uint256 => uint256) public data;

    event Set(address indexed who, uint256 value);

    error Bad(uint256 code, string why);

    constructor(uint256 v) payable {
        value = v;
    }

    function set(uint256 v) external {
        value = v;
        emit Set(msg.sender, v);
    }

    function fill(uint256 n) external {
        for (uint256 i = 0; i < n; i++) {
            data[i] = i + 1;
        }
    }

    function fail(string calldata reason) external pure {
        revert(reason);
    }

    function failCustom(uint256 code) external pure {
        revert Bad(code, "custom");
    }

    function divide(uint256 a, uint256 b) external pure returns (uint256) {
        return a / b;
    }

    function spin() external {
        while (true) {
            value += 1;
        }
    }

    function deploy(bytes32 salt) external returns (address a, address b) {
        a = address(new Child());
        b = address(new Child{salt: salt}());
    }

    function deployAndKill() external returns (address a) {
        Child c = new Child();
        c.kill();
        a = address(c);
    }

    function transientRoundTrip(uint256 v) external returns (uint256 r) {
        assembly {
            tstore(0, v)
            r := tload(0)
        }
    }

    function transientRead() external view returns (uint256 r) {
        assembly {
            r := tload(0)
        }
    }

    function pay(address payable to) external payable {
        to.transfer(msg.value);
    }

    function sysInfo() external view returns (uint256 id, uint256 num) {
        return ISystemInfo(address(0x1000)).info();
    }

    function sysChainId() external view returns (uint256) {
        return ISystemInfo(address(0x1000)).chainId();
    }

    function hashOf(uint256 n) external view returns (bytes32) {
        return blockhash(n);
    }
}

contract Caller {
    function doCall(address t, bytes calldata d) external payable returns (bool ok, bytes memory ret) {
        (ok, ret) = t.call{value: msg.value}(d);
    }

    function doStatic(address t, bytes calldata d) external view returns (bool ok, bytes memory ret) {
        (ok, ret) = t.staticcall(d);
    }

    function doDelegate(address t, bytes calldata d) external returns (bool ok, bytes memory ret) {
        (ok, ret) = t.delegatecall(d);
    }

    function callThenRevert(address t, bytes calldata d) external {
        (bool ok, ) = t.call(d);
        require(ok, "inner call failed");
        revert("undo");
    }
}
