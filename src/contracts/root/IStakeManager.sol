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

/// @notice What StakingInfo reads from its StakeManager: who may log (governance, per-validator
///         delegation contracts) and the validator records its views report.
interface IStakeManagerReader {
    function governance() external view returns (address);

    /// Delegation contract of a validator (address(0) while it has none); it may log its own events.
    function getValidatorContract(uint256 validatorId) external view returns (address);

    function validatorStake(uint256 validatorId) external view returns (uint256);

    /// Stake delegated to the validator through its delegation contract.
    function delegatedAmount(uint256 validatorId) external view returns (uint256);

    function validatorReward(uint256 validatorId) external view returns (uint256);

    function accountStateRoot() external view returns (bytes32);

    /// The StakeManager's public `validators` getter (its Validator struct, field by field).
    function validators(uint256 validatorId)
        external
        view
        returns (uint256 amount, uint256 reward, uint256 rewardSnapshot, address signer, uint8 status, uint40 activationEpoch, uint40 deactivationEpoch);
}
