// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice The only StakeManager entry point the RootChain may call.
interface ICheckpointSignatures {
    function checkSignatures(
        uint256 blockInterval,
        bytes32 voteHash,
        bytes32 stateRoot,
        address proposer,
        uint256[3][] calldata sigs
    ) external returns (uint256 reward);
}
