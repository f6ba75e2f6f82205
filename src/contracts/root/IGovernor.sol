// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice The voting-power reads the Governor needs (StakeVotes, ERC-5805).
interface IPastVotes {
    function getPastVotes(address account, uint256 timepoint) external view returns (uint256);

    function getPastTotalSupply(uint256 timepoint) external view returns (uint256);
}

/// @notice The StakeManager state that decides who may sign a checkpoint (and so a tally): the
///         public getters of BTTC's StakeManager, read field by field.
interface IStakeManagerSigners {
    function stakerCount() external view returns (uint256);

    function currentEpoch() external view returns (uint256);

    function signerToValidator(address signer) external view returns (uint256);

    function validators(uint256 validatorId)
        external
        view
        returns (uint256 amount, uint256 reward, uint256 rewardSnapshot, address signer, uint8 status, uint40 activationEpoch, uint40 deactivationEpoch);
}

/// @notice The Timelock calls the Governor makes.
interface ITimelock {
    function scheduleBatch(address[] calldata targets, uint256[] calldata values, bytes[] calldata calldatas, bytes32 salt) external returns (bytes32);

    function executeBatch(address[] calldata targets, uint256[] calldata values, bytes[] calldata calldatas, bytes32 salt) external payable;

    function hashOperationBatch(address[] calldata targets, uint256[] calldata values, bytes[] calldata calldatas, bytes32 salt) external pure returns (bytes32);

    function readyAt(bytes32 id) external view returns (uint256);

    function isDone(bytes32 id) external view returns (bool);
}
