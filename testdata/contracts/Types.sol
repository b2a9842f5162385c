// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// Types takes and returns values of many ABI types, for the console's
/// argument parser and output tests.
contract Types {
    struct Pair {
        address who;
        int32 n;
    }

    struct Entry {
        string name;
        uint16[] scores;
        Pair pair;
    }

    event Stored(address indexed from, int64 indexed level, Pair pair, uint8[] list, string note);

    int16 public seed;
    uint8[2] public init;
    Pair[] public pairs;

    constructor(int16 seed_, uint8[2] memory init_) {
        seed = seed_;
        init = init_;
    }

    function ints(int8 a, int24 b, int256 c, uint8 d, uint40 e, uint256 f)
        external pure returns (int8, int24, int256, uint8, uint40, uint256)
    {
        return (a, b, c, d, e, f);
    }

    function arrays(uint256[] calldata a, uint8[3] calldata b, string[] calldata s, uint16[][] calldata nested, bytes32[2] calldata h)
        external pure returns (uint256[] memory, uint8[3] memory, string[] memory, uint16[][] memory, bytes32[2] memory)
    {
        return (a, b, s, nested, h);
    }

    function blobs(bytes calldata b, bytes4 f, bytes32 g, bool ok) external pure returns (bytes memory, bytes4, bytes32, bool) {
        return (b, f, g, ok);
    }

    function tuple(Pair calldata p, Pair[] calldata ps) external pure returns (Pair memory, Pair[] memory, uint256 n) {
        return (p, ps, ps.length);
    }

    function entries(Entry[] calldata es) external pure returns (Entry[] memory, uint256 total) {
        for (uint256 i = 0; i < es.length; i++) {
            for (uint256 j = 0; j < es[i].scores.length; j++) {
                total += es[i].scores[j];
            }
        }
        return (es, total);
    }

    function sum(int256[] calldata xs) external pure returns (int256 total) {
        for (uint256 i = 0; i < xs.length; i++) {
            total += xs[i];
        }
    }

    function store(Pair calldata p, uint8[] calldata list, string calldata note, int64 level) external {
        pairs.push(p);
        emit Stored(msg.sender, level, p, list, note);
    }

    function count() external view returns (uint256) {
        return pairs.length;
    }
}
