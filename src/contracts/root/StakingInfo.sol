// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IStakeManagerReader} from "./IStakeManager.sol";

/// @title StakingInfo: the one contract staking events come from.
/// @notice Written for bttc-node. BTTC's StakeManager does not emit its staking events itself: it
///         calls a separate logger contract, and Delivery follows that logger's address
///         (`staking_info_address`). This contract plays that part with BTTC's event signatures
///         exactly (names, argument order, `indexed` flags), so a node reading these logs reads
///         BTTC's mainnet logs the same way. test/contracts/staking-info-abi.test.ts pins them.
///
///         Who may log: the StakeManager fixed at construction for everything it does; a
///         validator's delegation contract (as the StakeManager reports it) for that validator's
///         delegator events; either of them for a stake update. Per-validator nonces live here,
///         because they number the events Delivery replays: Staked, UnstakeInit and SignerChange
///         each take the next one; StakeUpdate carries none (BTTC dropped it from the event).
contract StakingInfo {
    IStakeManagerReader public immutable stakeManager;

    /// Last nonce handed out per validator (0 before its Staked event).
    mapping(uint256 => uint256) public validatorNonce;

    // ---------------------------------------------------------- validator lifecycle
    event Staked(address indexed signer, uint256 indexed validatorId, uint256 nonce, uint256 indexed activationEpoch, uint256 amount, uint256 total, bytes signerPubkey);
    event Unstaked(address indexed user, uint256 indexed validatorId, uint256 amount, uint256 total);
    event UnstakeInit(address indexed user, uint256 indexed validatorId, uint256 nonce, uint256 deactivationEpoch, uint256 indexed amount);
    event SignerChange(uint256 indexed validatorId, uint256 nonce, address indexed oldSigner, address indexed newSigner, bytes signerPubkey);
    event Restaked(uint256 indexed validatorId, uint256 amount, uint256 total);
    event Jailed(uint256 indexed validatorId, uint256 indexed exitEpoch, address indexed signer);
    event UnJailed(uint256 indexed validatorId, address indexed signer);
    event Slashed(uint256 indexed nonce, uint256 indexed amount);
    event StakeUpdate(uint256 indexed validatorId, uint256 indexed newAmount);
    event ClaimRewards(uint256 indexed validatorId, uint256 indexed amount, uint256 indexed totalAmount);
    event StartAuction(uint256 indexed validatorId, uint256 indexed amount, uint256 indexed auctionAmount);
    event ConfirmAuction(uint256 indexed newValidatorId, uint256 indexed oldValidatorId, uint256 indexed amount);

    // ---------------------------------------------------------- parameters
    event ThresholdChange(uint256 newThreshold, uint256 oldThreshold);
    event DynastyValueChange(uint256 newDynasty, uint256 oldDynasty);
    event ProposerBonusChange(uint256 newProposerBonus, uint256 oldProposerBonus);
    event RewardUpdate(uint256 newReward, uint256 oldReward);
    event ChainRewardUpdate(uint256 chainId, uint256 newReward, uint256 oldReward);

    // ---------------------------------------------------------- Delivery fees
    event TopUpFee(address indexed user, uint256 indexed fee);
    event ClaimFee(address indexed user, uint256 indexed fee);

    // ---------------------------------------------------------- delegation
    event ShareMinted(uint256 indexed validatorId, address indexed user, uint256 indexed amount, uint256 tokens);
    event ShareBurned(uint256 indexed validatorId, address indexed user, uint256 indexed amount, uint256 tokens);
    event DelegatorClaimedRewards(uint256 indexed validatorId, address indexed user, uint256 indexed rewards);
    event DelegatorRestaked(uint256 indexed validatorId, address indexed user, uint256 indexed totalStaked);
    event DelegatorUnstaked(uint256 indexed validatorId, address indexed user, uint256 amount);
    event UpdateCommissionRate(uint256 indexed validatorId, uint256 indexed newCommissionRate, uint256 indexed oldCommissionRate);

    // ---------------------------------------------------------- validator partnerships (bttc-node's own)
    event PartnerJoined(uint256 indexed validatorId, address indexed partner, uint256 amount, uint256 shares);
    event PartnerLeaveInit(uint256 indexed validatorId, address indexed partner, uint256 amount, uint256 withdrawEpoch);
    event PartnerLeft(uint256 indexed validatorId, address indexed partner, uint256 amount);

    // ---------------------------------------------------------- checkpoints of the other root chains
    event CheckpointSyncAck(address indexed proposer, uint256 indexed chainId, uint256 indexed checkpointId, uint256 start, uint256 end);

    modifier onlyStakeManager() {
        require(msg.sender == address(stakeManager), "StakingInfo: only the StakeManager");
        _;
    }

    modifier onlyValidatorContract(uint256 validatorId) {
        require(_isValidatorContract(validatorId), "StakingInfo: only the validator's delegation contract");
        _;
    }

    modifier onlyPartnership(uint256 validatorId) {
        address p = stakeManager.partnershipOf(validatorId);
        require(p != address(0) && p == msg.sender, "StakingInfo: only the validator's partnership");
        _;
    }

    modifier stakeManagerOrValidatorContract(uint256 validatorId) {
        require(msg.sender == address(stakeManager) || _isValidatorContract(validatorId), "StakingInfo: only the StakeManager or the validator's delegation contract");
        _;
    }

    constructor(address _stakeManager) {
        require(_stakeManager != address(0), "StakingInfo: zero address");
        stakeManager = IStakeManagerReader(_stakeManager);
    }

    // ---------------------------------------------------------------- admin

    /// Sets nonces after a migration, so replayed numbering continues where the old logger left it.
    function updateNonce(uint256[] calldata validatorIds, uint256[] calldata nonces) external {
        require(msg.sender == stakeManager.governance(), "StakingInfo: only governance");
        require(validatorIds.length == nonces.length, "StakingInfo: length mismatch");
        for (uint256 i = 0; i < validatorIds.length; ++i) validatorNonce[validatorIds[i]] = nonces[i];
    }

    // ------------------------------------------------- StakeManager: validators

    function logStaked(address signer, bytes calldata signerPubkey, uint256 validatorId, uint256 activationEpoch, uint256 amount, uint256 total) external onlyStakeManager {
        emit Staked(signer, validatorId, _nextNonce(validatorId), activationEpoch, amount, total, signerPubkey);
    }

    function logUnstaked(address user, uint256 validatorId, uint256 amount, uint256 total) external onlyStakeManager {
        emit Unstaked(user, validatorId, amount, total);
    }

    function logUnstakeInit(address user, uint256 validatorId, uint256 deactivationEpoch, uint256 amount) external onlyStakeManager {
        emit UnstakeInit(user, validatorId, _nextNonce(validatorId), deactivationEpoch, amount);
    }

    function logSignerChange(uint256 validatorId, address oldSigner, address newSigner, bytes calldata signerPubkey) external onlyStakeManager {
        emit SignerChange(validatorId, _nextNonce(validatorId), oldSigner, newSigner, signerPubkey);
    }

    function logRestaked(uint256 validatorId, uint256 amount, uint256 total) external onlyStakeManager {
        emit Restaked(validatorId, amount, total);
    }

    function logJailed(uint256 validatorId, uint256 exitEpoch, address signer) external onlyStakeManager {
        emit Jailed(validatorId, exitEpoch, signer);
    }

    function logUnjailed(uint256 validatorId, address signer) external onlyStakeManager {
        emit UnJailed(validatorId, signer);
    }

    /// BTTC lets a separate slashing manager log this; here slashing (disabled on mainnet) would live
    /// in the StakeManager, so it is the StakeManager's.
    function logSlashed(uint256 nonce, uint256 amount) external onlyStakeManager {
        emit Slashed(nonce, amount);
    }

    /// The amount is read here, not passed: own stake plus delegated stake, as the StakeManager has it now.
    function logStakeUpdate(uint256 validatorId) external stakeManagerOrValidatorContract(validatorId) {
        emit StakeUpdate(validatorId, totalValidatorStake(validatorId));
    }

    function logClaimRewards(uint256 validatorId, uint256 amount, uint256 totalAmount) external onlyStakeManager {
        emit ClaimRewards(validatorId, amount, totalAmount);
    }

    function logStartAuction(uint256 validatorId, uint256 amount, uint256 auctionAmount) external onlyStakeManager {
        emit StartAuction(validatorId, amount, auctionAmount);
    }

    function logConfirmAuction(uint256 newValidatorId, uint256 oldValidatorId, uint256 amount) external onlyStakeManager {
        emit ConfirmAuction(newValidatorId, oldValidatorId, amount);
    }

    // ------------------------------------------------- StakeManager: parameters and fees

    function logThresholdChange(uint256 newThreshold, uint256 oldThreshold) external onlyStakeManager {
        emit ThresholdChange(newThreshold, oldThreshold);
    }

    function logDynastyValueChange(uint256 newDynasty, uint256 oldDynasty) external onlyStakeManager {
        emit DynastyValueChange(newDynasty, oldDynasty);
    }

    function logProposerBonusChange(uint256 newProposerBonus, uint256 oldProposerBonus) external onlyStakeManager {
        emit ProposerBonusChange(newProposerBonus, oldProposerBonus);
    }

    function logRewardUpdate(uint256 newReward, uint256 oldReward) external onlyStakeManager {
        emit RewardUpdate(newReward, oldReward);
    }

    function logChainRewardUpdate(uint256 chainId, uint256 newReward, uint256 oldReward) external onlyStakeManager {
        emit ChainRewardUpdate(chainId, newReward, oldReward);
    }

    function logTopUpFee(address user, uint256 fee) external onlyStakeManager {
        emit TopUpFee(user, fee);
    }

    function logClaimFee(address user, uint256 fee) external onlyStakeManager {
        emit ClaimFee(user, fee);
    }

    function logCheckpointAck(address proposer, uint256 chainId, uint256 checkpointId, uint256 start, uint256 end) external onlyStakeManager {
        emit CheckpointSyncAck(proposer, chainId, checkpointId, start, end);
    }

    // ------------------------------------------------- delegation contracts

    function logShareMinted(uint256 validatorId, address user, uint256 amount, uint256 tokens) external onlyValidatorContract(validatorId) {
        emit ShareMinted(validatorId, user, amount, tokens);
    }

    function logShareBurned(uint256 validatorId, address user, uint256 amount, uint256 tokens) external onlyValidatorContract(validatorId) {
        emit ShareBurned(validatorId, user, amount, tokens);
    }

    function logDelegatorClaimRewards(uint256 validatorId, address user, uint256 rewards) external onlyValidatorContract(validatorId) {
        emit DelegatorClaimedRewards(validatorId, user, rewards);
    }

    function logDelegatorRestaked(uint256 validatorId, address user, uint256 totalStaked) external onlyValidatorContract(validatorId) {
        emit DelegatorRestaked(validatorId, user, totalStaked);
    }

    function logDelegatorUnstaked(uint256 validatorId, address user, uint256 amount) external onlyValidatorContract(validatorId) {
        emit DelegatorUnstaked(validatorId, user, amount);
    }

    /// The StakeManager keeps the rate (it splits the rewards), so it may log the change too.
    function logUpdateCommissionRate(uint256 validatorId, uint256 newCommissionRate, uint256 oldCommissionRate) external stakeManagerOrValidatorContract(validatorId) {
        emit UpdateCommissionRate(validatorId, newCommissionRate, oldCommissionRate);
    }

    // ------------------------------------------------- partnerships

    function logPartnerJoined(uint256 validatorId, address partner, uint256 amount, uint256 shares) external onlyPartnership(validatorId) {
        emit PartnerJoined(validatorId, partner, amount, shares);
    }

    function logPartnerLeaveInit(uint256 validatorId, address partner, uint256 amount, uint256 withdrawEpoch) external onlyPartnership(validatorId) {
        emit PartnerLeaveInit(validatorId, partner, amount, withdrawEpoch);
    }

    function logPartnerLeft(uint256 validatorId, address partner, uint256 amount) external onlyPartnership(validatorId) {
        emit PartnerLeft(validatorId, partner, amount);
    }

    // ---------------------------------------------------------------- views

    /// Delivery's validator check reads this: (amount, reward, activationEpoch, deactivationEpoch, signer, status).
    function getStakerDetails(uint256 validatorId)
        external
        view
        returns (uint256 amount, uint256 reward, uint256 activationEpoch, uint256 deactivationEpoch, address signer, uint256 _status)
    {
        uint8 status;
        uint40 activation;
        uint40 deactivation;
        (amount, , , signer, status, activation, deactivation) = stakeManager.validators(validatorId);
        reward = stakeManager.validatorReward(validatorId);
        activationEpoch = activation;
        deactivationEpoch = deactivation;
        _status = status;
    }

    function totalValidatorStake(uint256 validatorId) public view returns (uint256 validatorStake) {
        validatorStake = stakeManager.validatorStake(validatorId) + stakeManager.delegatedAmount(validatorId);
    }

    function getAccountStateRoot() external view returns (bytes32 accountStateRoot) {
        accountStateRoot = stakeManager.accountStateRoot();
    }

    function getValidatorContractAddress(uint256 validatorId) external view returns (address ValidatorContract) {
        ValidatorContract = stakeManager.getValidatorContract(validatorId);
    }

    // -------------------------------------------------------------- private

    function _isValidatorContract(uint256 validatorId) private view returns (bool) {
        address c = stakeManager.getValidatorContract(validatorId);
        return c != address(0) && c == msg.sender;
    }

    function _nextNonce(uint256 validatorId) private returns (uint256 nonce) {
        nonce = validatorNonce[validatorId] + 1;
        validatorNonce[validatorId] = nonce;
    }
}
