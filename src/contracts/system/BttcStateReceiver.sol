// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {RlpDecoder} from "./RlpDecoder.sol";

/// The Bttc state receiver at 0x…1001. The chain commits root-chain state-sync records in id order
/// at sprint starts (spec §8); each record's target gets `onStateReceive(id, data)` with 5,000,000
/// gas, and a failing or non-contract target does not stop the commit: the id still advances, so one
/// broken receiver cannot halt the bridge.
contract BttcStateReceiver {
    address public constant SYSTEM_ADDRESS = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;
    uint256 public constant RECEIVER_GAS = 5000000;

    uint256 public lastStateId; // slot 0

    event StateCommitted(uint256 indexed stateId, bool success);

    modifier onlySystem() {
        require(msg.sender == SYSTEM_ADDRESS, "Not System Address!");
        _;
    }

    /// recordBytes = rlp([id, contract, data, txHash, logIndex, chainId]).
    function commitState(uint256 syncTime, bytes calldata recordBytes) external onlySystem returns (bool success) {
        syncTime; // part of Bor's ABI; the record's time was checked by the chain before the call
        bytes memory buf = recordBytes;
        RlpDecoder.Item[] memory f = RlpDecoder.toList(buf, RlpDecoder.root(buf));
        require(f.length >= 3, "State record must be [id, contract, data, ...]");
        uint256 stateId = RlpDecoder.toUint(buf, f[0]);
        require(lastStateId + 1 == stateId, "StateIds are not sequential");
        lastStateId = stateId;
        address receiver = RlpDecoder.toAddress(buf, f[1]);
        bytes memory stateData = RlpDecoder.toBytes(buf, f[2]);
        if (receiver.code.length > 0) {
            bytes memory data = abi.encodeWithSignature("onStateReceive(uint256,bytes)", stateId, stateData);
            uint256 gasForCall = RECEIVER_GAS;
            assembly {
                success := call(gasForCall, receiver, 0, add(data, 0x20), mload(data), 0, 0)
            }
        }
        emit StateCommitted(stateId, success);
    }
}
