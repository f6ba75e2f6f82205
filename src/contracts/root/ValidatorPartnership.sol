// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IERC20} from "./IERC20.sol";
import {IStakeManagerStaking, IStakeVotesWriter, IStakingLogger} from "./IStakeManager.sol";

/// @title ValidatorPartnership: several addresses jointly own one validator slot.
/// @notice Written for bttc-node (the white paper's partnership; BTTC has no code for it). The
///         StakeManager moves the validator's StakingNFT here when its owner calls
///         `createPartnership`; from then on no single key owns the validator. The founder starts
///         with shares equal to the whole self-stake. Rules (docs/staking.md):
///         - one share = one token of self-stake (a slash cuts every partner's shares pro rata, so the rate never moves);
///         - join: `join(amount)` pulls `amount` from the partner and restakes it through the
///           StakeManager; the partner gets `amount` shares and `amount` voting units;
///         - rewards: the validator's rewards (own part + commission) are pulled from the StakeManager
///           and split pro rata to shares; `withdrawRewards()` pays a partner its part;
///         - leave: `leave()` takes all the caller's stake out of the validator at once (its shares
///           and voting units end now) and starts the same unbonding delay as delegators
///           (`withdrawalDelay` epochs); `claimLeave()` pays it out afterwards (less any slash
///           applied meanwhile: unbonding stake is cut at the own-stake bps). Leaving twice
///           reverts, and the last partner cannot leave (the validator would have no self-stake).
///
///         Deployed once as an implementation; each partnership is an EIP-1167 clone made by the
///         StakeManager, so the immutables are shared and the storage is per validator.
contract ValidatorPartnership {
    uint256 private constant REWARD_PRECISION = 10 ** 25;

    struct Leave {
        uint256 amount;
        uint256 withdrawEpoch;
        bool claimed;
    }

    IStakeManagerStaking public immutable stakeManager;
    IERC20 public immutable token;
    IStakingLogger public immutable stakingLogger;
    IStakeVotesWriter public immutable stakeVotes;

    uint256 public validatorId;
    uint256 public totalShares;
    uint256 public rewardPerShare;
    mapping(address => uint256) public shares;
    mapping(address => uint256) public rewardDebt;
    mapping(address => uint256) public owedRewards;
    mapping(address => Leave) public leaves;
    address[] private _partners;
    mapping(address => bool) private _listed;

    constructor(address _stakeManager, address _token, address _logger, address _votes) {
        stakeManager = IStakeManagerStaking(_stakeManager);
        token = IERC20(_token);
        stakingLogger = IStakingLogger(_logger);
        stakeVotes = IStakeVotesWriter(_votes);
    }

    /// Called once by the StakeManager on the clone, after moving the NFT here.
    function initialize(uint256 _validatorId, address founder, uint256 selfStake) external {
        require(msg.sender == address(stakeManager), "ValidatorPartnership: only the StakeManager");
        require(validatorId == 0 && _validatorId != 0, "ValidatorPartnership: already initialized");
        validatorId = _validatorId;
        // The founder already holds the self-stake's voting units: no units move here.
        shares[founder] = selfStake;
        totalShares = selfStake;
        _list(founder);
        stakingLogger.logPartnerJoined(_validatorId, founder, selfStake, selfStake);
    }

    // ---------------------------------------------------------------- views

    function partners() external view returns (address[] memory) {
        return _partners;
    }

    function pendingRewards(address partner) external view returns (uint256) {
        uint256 perShare = rewardPerShare;
        if (totalShares > 0) perShare += (stakeManager.validatorReward(validatorId) * REWARD_PRECISION) / totalShares;
        return owedRewards[partner] + ((perShare - rewardDebt[partner]) * shares[partner]) / REWARD_PRECISION;
    }

    // ---------------------------------------------------------------- partners

    function join(uint256 amount) external {
        require(amount > 0, "ValidatorPartnership: cannot join with 0");
        Leave storage l = leaves[msg.sender];
        require(l.amount == 0 || l.claimed, "ValidatorPartnership: partner is leaving; claim first");
        _settle(msg.sender);
        require(token.transferFrom(msg.sender, address(this), amount), "ValidatorPartnership: transfer failed");
        require(token.approve(address(stakeManager), amount), "ValidatorPartnership: approve failed");
        stakeManager.restake(validatorId, amount, false);
        uint256 s = shares[msg.sender] + amount;
        shares[msg.sender] = s;
        totalShares += amount;
        _list(msg.sender);
        stakeVotes.mint(msg.sender, amount);
        stakingLogger.logPartnerJoined(validatorId, msg.sender, amount, amount);
    }

    function leave() external {
        uint256 s = shares[msg.sender];
        if (s == 0) {
            require(leaves[msg.sender].amount == 0, "ValidatorPartnership: partner already left");
            revert("ValidatorPartnership: not a partner");
        }
        require(s < totalShares, "ValidatorPartnership: the last partner cannot leave (unstake the validator instead)");
        _settle(msg.sender);
        shares[msg.sender] = 0;
        totalShares -= s;
        stakeManager.partnerUnstake(validatorId, s);
        stakeVotes.burn(msg.sender, s);
        uint256 withdrawEpoch = stakeManager.epoch() + stakeManager.withdrawalDelay();
        leaves[msg.sender] = Leave({amount: s, withdrawEpoch: withdrawEpoch, claimed: false});
        stakingLogger.logPartnerLeaveInit(validatorId, msg.sender, s, withdrawEpoch);
    }

    function claimLeave() external {
        Leave storage l = leaves[msg.sender];
        require(l.amount > 0 && !l.claimed, "ValidatorPartnership: nothing to claim");
        require(stakeManager.epoch() >= l.withdrawEpoch, "ValidatorPartnership: withdrawal delay not over");
        l.claimed = true;
        uint256 amount = l.amount;
        require(token.transfer(msg.sender, amount), "ValidatorPartnership: transfer failed");
        stakingLogger.logPartnerLeft(validatorId, msg.sender, amount);
    }

    function withdrawRewards() external {
        _settle(msg.sender);
        uint256 owed = owedRewards[msg.sender];
        require(owed > 0, "ValidatorPartnership: no rewards to withdraw");
        owedRewards[msg.sender] = 0;
        require(token.transfer(msg.sender, owed), "ValidatorPartnership: transfer failed");
    }

    // ---------------------------------------------------------------- slashing

    /// The StakeManager slashes `amount` of the self-stake: every partner loses shares (one share is
    /// one token) and voting units pro rata; returns what was cut (rounded down per partner).
    /// A partner still unbonding a `leave()` (tokens held here until `claimLeave`) loses `bps` of it,
    /// as an unbonding delegator does: leaving after the offense does not escape the slash. That
    /// part goes back to the StakeManager (where cut stake stays locked) and is returned as
    /// `leavingCut`; its voting units were burnt at `leave()`.
    function onSlash(uint256 amount, uint256 bps) external returns (uint256 cut, uint256 leavingCut) {
        require(msg.sender == address(stakeManager), "ValidatorPartnership: only the StakeManager");
        uint256 total = totalShares;
        uint256 n = _partners.length;
        for (uint256 i = 0; i < n; ++i) {
            address p = _partners[i];
            uint256 s = shares[p];
            if (s == 0) {
                Leave storage l = leaves[p];
                if (l.claimed) continue;
                uint256 lost = (l.amount * bps) / 10000;
                l.amount -= lost;
                leavingCut += lost;
                continue;
            }
            _settle(p);
            uint256 loss = (s * amount) / total;
            shares[p] = s - loss;
            cut += loss;
            stakeVotes.burn(p, loss);
        }
        totalShares = total - cut;
        if (leavingCut > 0) require(token.transfer(address(stakeManager), leavingCut), "ValidatorPartnership: transfer failed");
    }

    // ---------------------------------------------------------------- private

    /// Pulls the validator's rewards into the pool, then books what `partner` earned so far.
    function _settle(address partner) private {
        uint256 perShare = rewardPerShare;
        uint256 pending = stakeManager.validatorReward(validatorId);
        if (pending > 0 && totalShares > 0) {
            stakeManager.withdrawRewards(validatorId);
            perShare += (pending * REWARD_PRECISION) / totalShares;
            rewardPerShare = perShare;
        }
        owedRewards[partner] += ((perShare - rewardDebt[partner]) * shares[partner]) / REWARD_PRECISION;
        rewardDebt[partner] = perShare;
    }

    function _list(address partner) private {
        if (!_listed[partner]) {
            _listed[partner] = true;
            _partners.push(partner);
        }
    }
}
