// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A state-sync target for tests: records what it receives, and can be told to fail or to burn all
/// its gas, to show the receiver survives both.
contract TestStateReceiverTarget {
    uint256 public lastId;
    bytes public lastData;
    uint256 public count;
    uint256 public mode; // 0 record, 1 revert, 2 burn all gas

    function setMode(uint256 m) external {
        mode = m;
    }

    function onStateReceive(uint256 id, bytes calldata data) external {
        if (mode == 1) revert("receiver refuses");
        if (mode == 2) while (true) {}
        lastId = id;
        lastData = data;
        count++;
    }
}
