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

    /// Partnership contract holding a validator's NFT (address(0) when none); it may log partner events.
    function partnershipOf(uint256 validatorId) external view returns (address);

    function validatorStake(uint256 validatorId) external view returns (uint256);

    /// Stake delegated to the validator through its delegation contract.
    function delegatedAmount(uint256 validatorId) external view returns (uint256);

    function validatorReward(uint256 validatorId) external view returns (uint256);

    function accountStateRoot() external view returns (bytes32);

    /// The StakeManager's public `validators` getter (its Validator struct, field by field; later fields omitted).
    function validators(uint256 validatorId)
        external
        view
        returns (uint256 amount, uint256 reward, uint256 rewardSnapshot, address signer, uint8 status, uint40 activationEpoch, uint40 deactivationEpoch);
}

/// @notice What a ValidatorShare and a ValidatorPartnership call on the StakeManager (BTTC's names
///         for the delegation hooks).
interface IStakeManagerStaking {
    function epoch() external view returns (uint256);

    function withdrawalDelay() external view returns (uint256);

    function delegatedAmount(uint256 validatorId) external view returns (uint256);

    function validatorReward(uint256 validatorId) external view returns (uint256);

    /// Delegators' part of the validator's rewards (commission taken), not yet withdrawn by its ValidatorShare.
    function delegatorsReward(uint256 validatorId) external view returns (uint256);

    /// True while the validator takes new stake: active and not unstaking.
    function acceptsStake(uint256 validatorId) external view returns (bool);

    function ownerOf(uint256 validatorId) external view returns (address);

    // ValidatorShare only (its own validator)
    function delegationDeposit(uint256 validatorId, uint256 amount, address delegator) external returns (bool);

    function transferFunds(uint256 validatorId, uint256 amount, address delegator) external returns (bool);

    function updateValidatorState(uint256 validatorId, int256 amount) external;

    function withdrawDelegatorsReward(uint256 validatorId) external returns (uint256);

    // ValidatorPartnership only (as the validator's owner)
    function restake(uint256 validatorId, uint256 amount, bool stakeRewards) external;

    function withdrawRewards(uint256 validatorId) external;

    function partnerUnstake(uint256 validatorId, uint256 amount) external;
}

/// @notice The writes StakeVotes accepts from the StakeManager and its staking contracts.
interface IStakeVotesWriter {
    function mint(address account, uint256 amount) external;

    function burn(address account, uint256 amount) external;

    function votingUnits(address account) external view returns (uint256);
}

/// @notice The StakingInfo log calls the staking contracts make.
interface IStakingLogger {
    function logShareMinted(uint256 validatorId, address user, uint256 amount, uint256 tokens) external;

    function logShareBurned(uint256 validatorId, address user, uint256 amount, uint256 tokens) external;

    function logDelegatorClaimRewards(uint256 validatorId, address user, uint256 rewards) external;

    function logDelegatorRestaked(uint256 validatorId, address user, uint256 totalStaked) external;

    function logDelegatorUnstaked(uint256 validatorId, address user, uint256 amount) external;

    function logPartnerJoined(uint256 validatorId, address partner, uint256 amount, uint256 shares) external;

    function logPartnerLeaveInit(uint256 validatorId, address partner, uint256 amount, uint256 withdrawEpoch) external;

    function logPartnerLeft(uint256 validatorId, address partner, uint256 amount) external;
}
