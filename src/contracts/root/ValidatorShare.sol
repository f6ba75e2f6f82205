// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IStakeManagerStaking, IStakeVotesWriter, IStakingLogger} from "./IStakeManager.sol";

/// @title ValidatorShare: one validator's delegation pool (BTTC's delegation contract, own code).
/// @notice ABI-compatible with BTTC's ValidatorShare for what a staking UI calls: buyVoucher,
///         sellVoucher_new, unstakeClaimTokens_new, withdrawRewards, restake, getTotalStake,
///         exchangeRate, getLiquidRewards, unbonds_new, unbondNonces. Delegators hold non-transferable
///         shares; stake = shares × exchangeRate / precision, with BTTC's precision (100 for
///         validators 1–7, 10^29 from 8). Rewards come from the StakeManager (the delegators' part of
///         the validator's checkpoint reward, commission already taken) and are shared per share.
///         Selling starts unbonding: tokens are claimable once `withdrawalDelay` epochs (checkpoints)
///         have passed since the sale. Events go through StakingInfo with BTTC's signatures.
///
///         Deployed once as an implementation; each validator gets an EIP-1167 clone from the
///         StakeManager, so the immutables below are shared and only storage is per validator.
contract ValidatorShare {
    struct DelegatorUnbond {
        uint256 shares;
        uint256 withdrawEpoch;
    }

    uint256 private constant EXCHANGE_RATE_PRECISION = 100;
    uint256 private constant EXCHANGE_RATE_HIGH_PRECISION = 10 ** 29;
    uint256 private constant REWARD_PRECISION = 10 ** 25;

    IStakeManagerStaking public immutable stakeManager;
    IStakingLogger public immutable stakingLogger;
    IStakeVotesWriter public immutable stakeVotes;

    uint256 public validatorId;
    bool public delegation;
    uint256 public rewardPerShare;
    uint256 public activeAmount;
    uint256 public withdrawPool;
    uint256 public withdrawShares;
    uint256 public totalSupply;

    mapping(address => uint256) public balanceOf;
    mapping(address => uint256) public initialRewardPerShare;
    mapping(address => uint256) public unbondNonces;
    mapping(address => mapping(uint256 => DelegatorUnbond)) public unbonds_new;
    /// Everyone who ever bought shares: a slash burns each one's voting units (issue 19).
    address[] private _holders;
    mapping(address => bool) private _isHolder;

    constructor(address _stakeManager, address _logger, address _votes) {
        stakeManager = IStakeManagerStaking(_stakeManager);
        stakingLogger = IStakingLogger(_logger);
        stakeVotes = IStakeVotesWriter(_votes);
    }

    modifier onlyStakeManager() {
        require(msg.sender == address(stakeManager), "ValidatorShare: only the StakeManager");
        _;
    }

    /// Called once by the StakeManager on the clone it just created.
    function initialize(uint256 _validatorId) external onlyStakeManager {
        require(validatorId == 0 && _validatorId != 0, "ValidatorShare: already initialized");
        validatorId = _validatorId;
        delegation = true;
    }

    /// The owner's switch (StakeManager.updateValidatorDelegation): stops or resumes new delegation.
    function updateDelegation(bool _delegation) external onlyStakeManager {
        delegation = _delegation;
    }

    // ---------------------------------------------------------------- views

    function exchangeRate() public view returns (uint256) {
        uint256 precision = _ratePrecision();
        uint256 shares = totalSupply;
        return shares == 0 ? precision : (stakeManager.delegatedAmount(validatorId) * precision) / shares;
    }

    function withdrawExchangeRate() public view returns (uint256) {
        uint256 precision = _ratePrecision();
        uint256 shares = withdrawShares;
        return shares == 0 ? precision : (withdrawPool * precision) / shares;
    }

    function getTotalStake(address user) public view returns (uint256, uint256) {
        uint256 rate = exchangeRate();
        return ((balanceOf[user] * rate) / _ratePrecision(), rate);
    }

    function getLiquidRewards(address user) external view returns (uint256) {
        uint256 perShare = rewardPerShare;
        uint256 shares = totalSupply;
        if (shares > 0) {
            // The validator's pending delegator reward, not yet pulled from the StakeManager.
            perShare += (_pendingDelegatorsReward() * REWARD_PRECISION) / shares;
        }
        return _reward(user, perShare);
    }

    // ---------------------------------------------------------------- delegators

    function buyVoucher(uint256 _amount, uint256 _minSharesToMint) external returns (uint256 amountToDeposit) {
        require(_amount > 0, "ValidatorShare: cannot buy with 0");
        _withdrawAndTransferReward(msg.sender);
        amountToDeposit = _buyShares(_amount, _minSharesToMint, msg.sender);
        require(stakeManager.delegationDeposit(validatorId, amountToDeposit, msg.sender), "ValidatorShare: deposit failed");
    }

    function sellVoucher_new(uint256 claimAmount, uint256 maximumSharesToBurn) external {
        require(claimAmount > 0, "ValidatorShare: cannot sell 0");
        (uint256 staked, uint256 rate) = getTotalStake(msg.sender);
        require(claimAmount <= staked, "ValidatorShare: selling more than held");
        uint256 precision = _ratePrecision();
        uint256 shares = (claimAmount * precision) / rate;
        // Rounding up would burn one share too many only when the stake is not a whole number of shares.
        if ((shares * rate) / precision < claimAmount) shares += 1;
        if (shares > balanceOf[msg.sender]) shares = balanceOf[msg.sender];
        require(shares <= maximumSharesToBurn, "ValidatorShare: too much slippage");

        _withdrawAndTransferReward(msg.sender);
        balanceOf[msg.sender] -= shares;
        totalSupply -= shares;
        activeAmount -= claimAmount;
        stakeManager.updateValidatorState(validatorId, -int256(claimAmount));
        stakeVotes.burn(msg.sender, claimAmount);

        uint256 poolShares = (claimAmount * precision) / withdrawExchangeRate();
        withdrawPool += claimAmount;
        withdrawShares += poolShares;
        uint256 nonce = unbondNonces[msg.sender] + 1;
        unbondNonces[msg.sender] = nonce;
        unbonds_new[msg.sender][nonce] = DelegatorUnbond({shares: poolShares, withdrawEpoch: stakeManager.epoch()});
        stakingLogger.logShareBurned(validatorId, msg.sender, claimAmount, shares);
    }

    function unstakeClaimTokens_new(uint256 unbondNonce) external {
        DelegatorUnbond memory unbond = unbonds_new[msg.sender][unbondNonce];
        require(unbond.shares > 0, "ValidatorShare: no such unbond (wrong nonce or already claimed)");
        require(unbond.withdrawEpoch + stakeManager.withdrawalDelay() <= stakeManager.epoch(), "ValidatorShare: withdrawal delay not over");
        uint256 amount = (withdrawExchangeRate() * unbond.shares) / _ratePrecision();
        withdrawShares -= unbond.shares;
        withdrawPool -= amount;
        delete unbonds_new[msg.sender][unbondNonce];
        require(stakeManager.transferFunds(validatorId, amount, msg.sender), "ValidatorShare: transfer failed");
        stakingLogger.logDelegatorUnstaked(validatorId, msg.sender, amount);
    }

    function withdrawRewards() external {
        require(_withdrawAndTransferReward(msg.sender) > 0, "ValidatorShare: no rewards to withdraw");
    }

    /// Turns the caller's rewards into more stake (more shares, more voting units).
    function restake() external returns (uint256 amountRestaked, uint256 liquidReward) {
        liquidReward = _withdrawReward(msg.sender);
        require(liquidReward > 0, "ValidatorShare: no rewards to restake");
        amountRestaked = _buyShares(liquidReward, 0, msg.sender);
        if (liquidReward > amountRestaked) {
            // Rounding dust (a fraction of a share) is paid out rather than kept.
            require(stakeManager.transferFunds(validatorId, liquidReward - amountRestaked, msg.sender), "ValidatorShare: transfer failed");
        }
        (uint256 total, ) = getTotalStake(msg.sender);
        stakingLogger.logDelegatorRestaked(validatorId, msg.sender, total);
    }

    // ---------------------------------------------------------------- slashing

    /// The StakeManager cut the delegated stake from `oldDelegated` to `newDelegated` by `bps`: the
    /// exchange rate (delegated / shares) already dropped; each holder's voting units drop by its
    /// stake loss. The withdraw pool (stake sold and still unbonding) is cut by the same `bps`, so
    /// the withdraw exchange rate drops with the share rate (BTTC's ValidatorShare.slash cuts its
    /// withdrawPool pro rata too): selling after the offense does not escape the slash. Returns the
    /// pool's cut (tokens that stay locked in the StakeManager).
    function onSlash(uint256 oldDelegated, uint256 newDelegated, uint256 bps) external onlyStakeManager returns (uint256 poolCut) {
        poolCut = (withdrawPool * bps) / 10000;
        withdrawPool -= poolCut;
        uint256 shares = totalSupply;
        activeAmount = activeAmount > oldDelegated - newDelegated ? activeAmount - (oldDelegated - newDelegated) : 0;
        if (shares == 0) return poolCut;
        uint256 n = _holders.length;
        for (uint256 i = 0; i < n; ++i) {
            address h = _holders[i];
            uint256 bal = balanceOf[h];
            if (bal == 0) continue;
            uint256 loss = (bal * oldDelegated) / shares - (bal * newDelegated) / shares;
            uint256 units = stakeVotes.votingUnits(h);
            stakeVotes.burn(h, loss < units ? loss : units);
        }
    }

    // ---------------------------------------------------------------- private

    function _buyShares(uint256 amount, uint256 minSharesToMint, address user) private returns (uint256 amountToDeposit) {
        require(delegation, "ValidatorShare: delegation is disabled for this validator");
        require(stakeManager.acceptsStake(validatorId), "ValidatorShare: validator is not active (not a validator, or unstaking)");
        uint256 rate = exchangeRate();
        uint256 precision = _ratePrecision();
        uint256 shares = (amount * precision) / rate;
        require(shares > 0, "ValidatorShare: amount buys no share");
        require(shares >= minSharesToMint, "ValidatorShare: too much slippage");
        amountToDeposit = (rate * shares) / precision;
        if (!_isHolder[user]) {
            _isHolder[user] = true;
            _holders.push(user);
        }
        balanceOf[user] += shares;
        totalSupply += shares;
        activeAmount += amountToDeposit;
        stakeManager.updateValidatorState(validatorId, int256(amountToDeposit));
        stakeVotes.mint(user, amountToDeposit);
        stakingLogger.logShareMinted(validatorId, user, amountToDeposit, shares);
    }

    function _withdrawReward(address user) private returns (uint256 liquid) {
        uint256 perShare = _updateRewardPerShare();
        liquid = _reward(user, perShare);
        initialRewardPerShare[user] = perShare;
    }

    function _withdrawAndTransferReward(address user) private returns (uint256 liquid) {
        liquid = _withdrawReward(user);
        if (liquid > 0) {
            require(stakeManager.transferFunds(validatorId, liquid, user), "ValidatorShare: transfer failed");
            stakingLogger.logDelegatorClaimRewards(validatorId, user, liquid);
        }
    }

    function _updateRewardPerShare() private returns (uint256 perShare) {
        perShare = rewardPerShare;
        uint256 accumulated = stakeManager.withdrawDelegatorsReward(validatorId);
        uint256 shares = totalSupply;
        if (accumulated > 0 && shares > 0) {
            perShare += (accumulated * REWARD_PRECISION) / shares;
            rewardPerShare = perShare;
        }
    }

    function _reward(address user, uint256 perShare) private view returns (uint256) {
        return ((perShare - initialRewardPerShare[user]) * balanceOf[user]) / REWARD_PRECISION;
    }

    function _pendingDelegatorsReward() private view returns (uint256) {
        return stakeManager.delegatorsReward(validatorId);
    }

    function _ratePrecision() private view returns (uint256) {
        // BTTC keeps the old precision for the foundation validators (ids below 8).
        return validatorId < 8 ? EXCHANGE_RATE_PRECISION : EXCHANGE_RATE_HIGH_PRECISION;
    }
}
