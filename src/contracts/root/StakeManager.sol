// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IERC20} from "./IERC20.sol";
import {StakingNFT} from "./StakingNFT.sol";
import {ICheckpointSignatures} from "./IStakeManager.sol";
import {StakingInfo} from "./StakingInfo.sol";
import {StakeVotes} from "./StakeVotes.sol";
import {ValidatorShare} from "./ValidatorShare.sol";
import {ValidatorPartnership} from "./ValidatorPartnership.sol";

/// @title StakeManager: stake custody, validator identity and checkpoint signature checks.
/// @notice Written for bttc-node; ABI-compatible with BTTC's StakeManager for the functions it has.
///         Like BTTC's, it emits no staking event itself: every one (Staked, UnstakeInit, Unstaked,
///         SignerChange, StakeUpdate, TopUpFee, ClaimRewards, parameter changes, CheckpointSyncAck)
///         goes through its StakingInfo logger (`logger`, created here), whose address is the one
///         Delivery follows. The events left below are this implementation's own bookkeeping, which
///         no BTTC consumer reads.
///
///         Roles, kept narrow: `governance` tunes parameters and sets the RootChain once; the
///         RootChain may only call `checkSignatures`; a validator's NFT owner manages its position.
///         Nobody, governance included, can move staked tokens out except the position's owner
///         after the withdrawal delay.
///
///         Staking economics (docs/staking.md): a validator's stake = own + delegated (through its
///         ValidatorShare, an EIP-1167 clone made at stakeFor when acceptDelegation is set). A
///         checkpoint's reward is BTTC's: checkpointReward × min(blockInterval, checkPointBlockInterval)
///         / checkPointBlockInterval × signedStake / totalStake; the proposer bonus comes off first,
///         the rest goes to the validators that signed, by stake; a validator's part is split
///         between it and its delegators by stake, the commission coming off the delegators' part.
///         Voting power (StakeVotes, created here) follows every stake change.
contract StakeManager is ICheckpointSignatures {
    uint256 private constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    uint256 private constant REWARD_PRECISION = 1e25;
    uint256 public constant MAX_PROPOSER_BONUS = 100;
    uint256 public constant MAX_COMMISION_RATE = 100;

    enum Status {
        Inactive,
        Active,
        Locked,
        Unstaked
    }

    /// signer, status and both epochs share one slot: the signature loop reads only that slot.
    struct Validator {
        uint256 amount;
        uint256 reward;
        uint256 rewardSnapshot;
        address signer;
        Status status;
        uint40 activationEpoch;
        uint40 deactivationEpoch;
        uint256 delegatedAmount;
        /// Delegators' part of the rewards (commission taken), until their ValidatorShare pulls it.
        uint256 delegatorsReward;
        uint256 commissionRate;
        uint256 lastCommissionUpdate;
        /// The validator's ValidatorShare (address(0) when it does not accept delegation).
        address contractAddress;
    }

    IERC20 public immutable token;
    StakingNFT public immutable NFTContract;
    /// Emits the staking events; its address is the root chain's `stakingInfo`.
    StakingInfo public immutable logger;
    /// Checkpointed voting power of every staked token.
    StakeVotes public immutable stakeVotes;
    /// Implementations the per-validator clones delegate to.
    address public immutable validatorShareImplementation;
    address public immutable partnershipImplementation;
    address public governance;
    address public rootChain;

    uint256 public minDeposit;
    uint256 public minHeimdallFee;
    uint256 public validatorThreshold;
    uint256 public WITHDRAWAL_DELAY;
    uint256 public proposerBonus;
    uint256 public checkpointReward;
    uint256 public checkPointBlockInterval;
    uint256 public signerUpdateLimit;

    uint256 public currentEpoch = 1;
    uint256 public NFTCounter = 1;
    uint256 public totalStaked;
    uint256 public totalHeimdallFee;
    uint256 public totalRewards;
    uint256 public totalRewardsLiquidated;
    bytes32 public accountStateRoot;

    /// Size of the active set that signatures are counted against (BTTC: one validator, one vote).
    uint256 public stakerCount;
    /// Scheduled changes of stakerCount, applied when the epoch reaches the key.
    mapping(uint256 => int256) public stakerCountChanges;
    /// Accumulated reward per staked token (own + delegated) since genesis, scaled by REWARD_PRECISION.
    uint256 public rewardPerStake;

    mapping(uint256 => Validator) public validators;
    mapping(address => uint256) public signerToValidator;
    mapping(uint256 => uint256) public latestSignerUpdateEpoch;
    /// Last checkpoint number synced from each root chain (submitCheckpointSync; TRON 1, ETH 2, BSC 3).
    mapping(uint256 => uint256) public currentHeaderBlockId;
    /// Partnership holding a validator's NFT (address(0) when none).
    mapping(uint256 => address) public partnershipOf;
    /// ValidatorShare or partnership → its validator id (0 for any other address).
    mapping(address => uint256) public validatorOfContract;

    // Slashing (issue 19, docs/slashing.md): only the SlashingManager governance set once may cut
    // stake and jail. Cut tokens stay locked in this contract (counted in totalSlashed), never paid out.
    address public slashingManager;
    uint256 public totalSlashed;
    /// Epoch from which a jailed validator may call unjail (0: not jailed).
    mapping(uint256 => uint256) public jailedUntil;

    event CheckpointRewarded(uint256 indexed epoch, uint256 indexed proposerValidatorId, uint256 reward, uint256 proposerBonus, uint256 signedCount);
    event NewEpoch(uint256 indexed epoch, uint256 validatorCount);
    event MinAmountsChange(uint256 minDeposit, uint256 minHeimdallFee);
    event RootChainSet(address indexed rootChain);
    event GovernanceTransferred(address indexed previousGovernance, address indexed newGovernance);
    event PartnershipCreated(uint256 indexed validatorId, address indexed partnership, address indexed founder);
    event SlashingManagerSet(address indexed slashingManager);

    modifier onlyGovernance() {
        require(msg.sender == governance, "StakeManager: only governance");
        _;
    }

    modifier onlyRootChain() {
        require(msg.sender == rootChain, "StakeManager: only the RootChain");
        _;
    }

    modifier onlyStaker(uint256 validatorId) {
        require(NFTContract.ownerOf(validatorId) == msg.sender, "StakeManager: not the validator's owner");
        _;
    }

    modifier onlyDelegation(uint256 validatorId) {
        require(msg.sender != address(0) && validators[validatorId].contractAddress == msg.sender, "StakeManager: only the validator's delegation contract");
        _;
    }

    struct Params {
        uint256 minDeposit;
        uint256 minHeimdallFee;
        uint256 validatorThreshold;
        uint256 withdrawalDelay;
        uint256 proposerBonus;
        uint256 checkpointReward;
        uint256 checkPointBlockInterval;
        uint256 signerUpdateLimit;
    }

    constructor(address _token, address _governance, Params memory p) {
        require(_token != address(0) && _governance != address(0), "StakeManager: zero address");
        require(p.validatorThreshold > 0 && p.checkPointBlockInterval > 0, "StakeManager: zero parameter");
        require(p.proposerBonus <= MAX_PROPOSER_BONUS, "StakeManager: proposer bonus above 100");
        token = IERC20(_token);
        governance = _governance;
        NFTContract = new StakingNFT();
        logger = new StakingInfo(address(this));
        StakeVotes votes = new StakeVotes(address(this));
        stakeVotes = votes;
        validatorShareImplementation = address(new ValidatorShare(address(this), address(logger), address(votes)));
        partnershipImplementation = address(new ValidatorPartnership(address(this), _token, address(logger), address(votes)));
        minDeposit = p.minDeposit;
        minHeimdallFee = p.minHeimdallFee;
        validatorThreshold = p.validatorThreshold;
        WITHDRAWAL_DELAY = p.withdrawalDelay;
        proposerBonus = p.proposerBonus;
        checkpointReward = p.checkpointReward;
        checkPointBlockInterval = p.checkPointBlockInterval;
        signerUpdateLimit = p.signerUpdateLimit;
    }

    // ---------------------------------------------------------------- views

    function epoch() external view returns (uint256) {
        return currentEpoch;
    }

    function withdrawalDelay() external view returns (uint256) {
        return WITHDRAWAL_DELAY;
    }

    function currentValidatorSetSize() external view returns (uint256) {
        return stakerCount;
    }

    function ownerOf(uint256 validatorId) external view returns (address) {
        return NFTContract.ownerOf(validatorId);
    }

    function getValidatorId(address user) external view returns (uint256) {
        return NFTContract.tokenOfOwnerByIndex(user, 0);
    }

    function validatorStake(uint256 validatorId) external view returns (uint256) {
        return validators[validatorId].amount;
    }

    /// The validator's ValidatorShare (address(0) when it was staked without acceptDelegation).
    function getValidatorContract(uint256 validatorId) external view returns (address) {
        return validators[validatorId].contractAddress;
    }

    function delegatedAmount(uint256 validatorId) external view returns (uint256) {
        return validators[validatorId].delegatedAmount;
    }

    /// Delegators' rewards not yet pulled by the ValidatorShare, pending checkpoints included.
    function delegatorsReward(uint256 validatorId) external view returns (uint256) {
        Validator storage v = validators[validatorId];
        (, uint256 d) = _split(v, rewardPerStake);
        return v.delegatorsReward + d;
    }

    /// New stake (delegation, partner join) is taken only by an active validator that is not unstaking.
    function acceptsStake(uint256 validatorId) public view returns (bool) {
        Validator storage v = validators[validatorId];
        return v.deactivationEpoch == 0 && isValidator(validatorId);
    }

    /// StakeVotes asks this: validators' ValidatorShares and partnerships write voting units.
    function isVotesWriter(address who) external view returns (bool) {
        return validatorOfContract[who] != 0;
    }

    /// Nonces are numbered by the logger; this view keeps them where BTTC's tools also ask for them.
    function validatorNonce(uint256 validatorId) external view returns (uint256) {
        return logger.validatorNonce(validatorId);
    }

    function isValidator(uint256 validatorId) public view returns (bool) {
        Validator storage v = validators[validatorId];
        return _isActive(v.status, v.activationEpoch, v.deactivationEpoch, currentEpoch);
    }

    /// BTTC's name for the last checkpoint number of root chain `chainId` synced here (0 before the first).
    function getCurrentSyncedCheckpoint(uint256 chainId) external view returns (uint256) {
        return currentHeaderBlockId[chainId];
    }

    /// Reward earned and not yet withdrawn.
    function validatorReward(uint256 validatorId) external view returns (uint256) {
        Validator storage v = validators[validatorId];
        (uint256 own, ) = _split(v, rewardPerStake);
        return v.reward + own;
    }

    // ----------------------------------------------------------- governance

    function setRootChain(address _rootChain) external onlyGovernance {
        // Set once: the checkpoint contract cannot be swapped for one that skips the checks.
        require(rootChain == address(0), "StakeManager: RootChain already set");
        require(_rootChain != address(0), "StakeManager: zero address");
        rootChain = _rootChain;
        emit RootChainSet(_rootChain);
    }

    function transferGovernance(address newGovernance) external onlyGovernance {
        require(newGovernance != address(0), "StakeManager: zero address");
        emit GovernanceTransferred(governance, newGovernance);
        governance = newGovernance;
    }

    function updateValidatorThreshold(uint256 newThreshold) external onlyGovernance {
        require(newThreshold != 0, "StakeManager: zero threshold");
        logger.logThresholdChange(newThreshold, validatorThreshold);
        validatorThreshold = newThreshold;
    }

    function updateDynastyValue(uint256 newDynasty) external onlyGovernance {
        logger.logDynastyValueChange(newDynasty, WITHDRAWAL_DELAY);
        WITHDRAWAL_DELAY = newDynasty;
    }

    function updateProposerBonus(uint256 newProposerBonus) external onlyGovernance {
        require(newProposerBonus <= MAX_PROPOSER_BONUS, "StakeManager: proposer bonus above 100");
        logger.logProposerBonusChange(newProposerBonus, proposerBonus);
        proposerBonus = newProposerBonus;
    }

    function updateCheckpointReward(uint256 newReward) external onlyGovernance {
        logger.logRewardUpdate(newReward, checkpointReward);
        checkpointReward = newReward;
    }

    function updateMinAmounts(uint256 _minDeposit, uint256 _minHeimdallFee) external onlyGovernance {
        minDeposit = _minDeposit;
        minHeimdallFee = _minHeimdallFee;
        emit MinAmountsChange(_minDeposit, _minHeimdallFee);
    }

    function updateSignerUpdateLimit(uint256 limit) external onlyGovernance {
        signerUpdateLimit = limit;
    }

    function setSlashingManager(address _slashingManager) external onlyGovernance {
        require(slashingManager == address(0), "StakeManager: slashing manager already set");
        require(_slashingManager != address(0), "StakeManager: zero address");
        slashingManager = _slashingManager;
        emit SlashingManagerSet(_slashingManager);
    }

    // -------------------------------------------------------------- staking

    function stakeFor(address user, uint256 amount, uint256 heimdallFee, bool acceptDelegation, bytes calldata signerPubkey) external {
        require(stakerCount < validatorThreshold, "StakeManager: no more slots");
        require(amount >= minDeposit && amount > 0, "StakeManager: not enough deposit");
        require(user != address(0), "StakeManager: zero user");
        address signer = _signerOf(signerPubkey);
        // The fee funds the signer's Delivery account, the one that pays its Delivery transactions (as BTTC).
        _topUp(signer, msg.sender, heimdallFee, amount);

        uint256 id = NFTCounter;
        NFTCounter = id + 1;
        uint256 epochNow = currentEpoch;
        uint256 total = totalStaked + amount;
        totalStaked = total;
        _createValidator(id, amount, signer, epochNow, acceptDelegation);
        signerToValidator[signer] = id;
        latestSignerUpdateEpoch[id] = epochNow;
        stakerCount += 1;
        NFTContract.mint(user, id);
        stakeVotes.mint(user, amount);
        logger.logStaked(signer, signerPubkey, id, epochNow, amount, total);
    }

    function _createValidator(uint256 id, uint256 amount, address signer, uint256 epochNow, bool acceptDelegation) private {
        Validator storage v = validators[id];
        v.amount = amount;
        v.rewardSnapshot = rewardPerStake;
        v.signer = signer;
        v.status = Status.Active;
        v.activationEpoch = uint40(epochNow);
        if (acceptDelegation) {
            address share = _clone(validatorShareImplementation);
            v.contractAddress = share;
            validatorOfContract[share] = id;
            ValidatorShare(share).initialize(id);
        }
    }

    function topUpForFee(address user, uint256 heimdallFee) external {
        _topUp(user, msg.sender, heimdallFee, 0);
    }

    function restake(uint256 validatorId, uint256 amount, bool stakeRewards) external onlyStaker(validatorId) {
        Validator storage v = validators[validatorId];
        require(v.deactivationEpoch == 0, "StakeManager: no restaking after unstake");
        if (amount > 0) require(token.transferFrom(msg.sender, address(this), amount), "StakeManager: transfer failed");
        _settle(v);
        if (stakeRewards) {
            amount += v.reward;
            v.reward = 0;
        }
        uint256 total = totalStaked + amount;
        totalStaked = total;
        v.amount += amount;
        // A partnership mints its partners' units itself.
        if (partnershipOf[validatorId] == address(0)) stakeVotes.mint(msg.sender, amount);
        logger.logStakeUpdate(validatorId);
        logger.logRestaked(validatorId, v.amount, total);
    }

    function unstake(uint256 validatorId) external onlyStaker(validatorId) {
        Validator storage v = validators[validatorId];
        require(v.status == Status.Active && v.deactivationEpoch == 0, "StakeManager: not an active validator");
        _settle(v);
        uint256 exitEpoch = currentEpoch + 1; // one checkpoint of notice
        v.deactivationEpoch = uint40(exitEpoch);
        stakerCountChanges[exitEpoch] -= 1;
        // Voting power ends when unbonding starts, as for a delegator's sale.
        stakeVotes.burn(msg.sender, v.amount);
        logger.logUnstakeInit(msg.sender, validatorId, exitEpoch, v.amount);
    }

    function unstakeClaim(uint256 validatorId) external onlyStaker(validatorId) {
        Validator storage v = validators[validatorId];
        uint256 deactivation = v.deactivationEpoch;
        require(deactivation > 0 && v.status != Status.Unstaked, "StakeManager: not unstaking");
        require(deactivation + WITHDRAWAL_DELAY <= currentEpoch, "StakeManager: withdrawal delay not over");
        uint256 amount = v.amount;
        uint256 reward = v.reward;
        uint256 total = totalStaked - amount;
        totalStaked = total;
        delete signerToValidator[v.signer];
        v.amount = 0;
        v.reward = 0;
        v.signer = address(0);
        v.status = Status.Unstaked;
        NFTContract.burn(validatorId);
        if (reward > 0) _liquidate(validatorId, msg.sender, reward);
        require(token.transfer(msg.sender, amount), "StakeManager: transfer failed");
        logger.logUnstaked(msg.sender, validatorId, amount, total);
    }

    function withdrawRewards(uint256 validatorId) external onlyStaker(validatorId) {
        Validator storage v = validators[validatorId];
        _settle(v);
        uint256 reward = v.reward;
        v.reward = 0;
        _liquidate(validatorId, msg.sender, reward);
    }

    function updateSigner(uint256 validatorId, bytes calldata signerPubkey) external onlyStaker(validatorId) {
        Validator storage v = validators[validatorId];
        require(v.status == Status.Active && v.deactivationEpoch == 0, "StakeManager: not an active validator");
        uint256 epochNow = currentEpoch;
        require(epochNow >= latestSignerUpdateEpoch[validatorId] + signerUpdateLimit, "StakeManager: signer update too soon");
        address signer = _signerOf(signerPubkey);
        address old = v.signer;
        delete signerToValidator[old];
        signerToValidator[signer] = validatorId;
        v.signer = signer;
        latestSignerUpdateEpoch[validatorId] = epochNow;
        logger.logSignerChange(validatorId, old, signer, signerPubkey);
    }

    // ----------------------------------------------------------- delegation

    /// BTTC's switch: the caller's validator stops (or resumes) taking new delegation.
    function updateValidatorDelegation(bool delegation) external {
        uint256 validatorId = NFTContract.tokenOfOwnerByIndex(msg.sender, 0);
        address share = validators[validatorId].contractAddress;
        require(share != address(0), "StakeManager: validator was staked without delegation");
        ValidatorShare(share).updateDelegation(delegation);
    }

    /// BTTC's rule: at most one change per `withdrawalDelay` epochs (the first is free), at most 100%.
    /// Rewards earned so far are settled at the old rate first.
    function updateCommissionRate(uint256 validatorId, uint256 newCommissionRate) external onlyStaker(validatorId) {
        Validator storage v = validators[validatorId];
        uint256 last = v.lastCommissionUpdate;
        uint256 epochNow = currentEpoch;
        require(last == 0 || last + WITHDRAWAL_DELAY <= epochNow, "StakeManager: commission rate changed too recently");
        require(newCommissionRate <= MAX_COMMISION_RATE, "StakeManager: commission rate above 100");
        _settle(v);
        logger.logUpdateCommissionRate(validatorId, newCommissionRate, v.commissionRate);
        v.commissionRate = newCommissionRate;
        v.lastCommissionUpdate = epochNow;
    }

    function delegationDeposit(uint256 validatorId, uint256 amount, address delegator) external onlyDelegation(validatorId) returns (bool) {
        return token.transferFrom(delegator, address(this), amount);
    }

    function transferFunds(uint256 validatorId, uint256 amount, address delegator) external onlyDelegation(validatorId) returns (bool) {
        return token.transfer(delegator, amount);
    }

    /// The ValidatorShare's stake changed by `amount` (buy > 0, sell < 0): rewards are settled first.
    function updateValidatorState(uint256 validatorId, int256 amount) external onlyDelegation(validatorId) {
        Validator storage v = validators[validatorId];
        _settle(v);
        if (amount >= 0) {
            require(acceptsStake(validatorId), "StakeManager: validator is not active");
            v.delegatedAmount += uint256(amount);
            totalStaked += uint256(amount);
        } else {
            v.delegatedAmount -= uint256(-amount);
            totalStaked -= uint256(-amount);
        }
        logger.logStakeUpdate(validatorId);
    }

    function withdrawDelegatorsReward(uint256 validatorId) external onlyDelegation(validatorId) returns (uint256 reward) {
        Validator storage v = validators[validatorId];
        _settle(v);
        reward = v.delegatorsReward;
        v.delegatorsReward = 0;
        totalRewardsLiquidated += reward;
    }

    // ----------------------------------------------------------- partnerships

    /// @notice Hands the caller's validator to a new ValidatorPartnership (the NFT moves there for
    ///         good); the caller becomes its first partner with the whole self-stake.
    function createPartnership(uint256 validatorId) external onlyStaker(validatorId) returns (address partnership) {
        require(partnershipOf[validatorId] == address(0), "StakeManager: already a partnership");
        require(acceptsStake(validatorId), "StakeManager: validator is not active");
        partnership = _clone(partnershipImplementation);
        partnershipOf[validatorId] = partnership;
        validatorOfContract[partnership] = validatorId;
        NFTContract.move(validatorId, partnership);
        ValidatorPartnership(partnership).initialize(validatorId, msg.sender, validators[validatorId].amount);
        emit PartnershipCreated(validatorId, partnership, msg.sender);
    }

    /// A leaving partner's stake leaves the validator now; the partnership holds the tokens
    /// through the unbonding delay. The self-stake must stay at or above the minimum deposit.
    function partnerUnstake(uint256 validatorId, uint256 amount) external {
        require(msg.sender == partnershipOf[validatorId] && msg.sender != address(0), "StakeManager: only the validator's partnership");
        Validator storage v = validators[validatorId];
        require(v.deactivationEpoch == 0, "StakeManager: validator is unstaking");
        require(v.amount >= amount + minDeposit && v.amount > amount, "StakeManager: self-stake would fall below the minimum deposit");
        _settle(v);
        v.amount -= amount;
        totalStaked -= amount;
        require(token.transfer(msg.sender, amount), "StakeManager: transfer failed");
        logger.logStakeUpdate(validatorId);
    }

    /// StakingNFT calls this on every transfer: the self-stake's voting units follow the owner.
    function onValidatorTransfer(uint256 validatorId, address from, address to) external {
        require(msg.sender == address(NFTContract), "StakeManager: only the StakingNFT");
        Validator storage v = validators[validatorId];
        if (v.status == Status.Active && v.deactivationEpoch == 0 && partnershipOf[validatorId] == address(0)) {
            stakeVotes.burn(from, v.amount);
            stakeVotes.mint(to, v.amount);
        }
    }

    // ---------------------------------------------------------- checkpoints

    /// @notice Called by the RootChain for each checkpoint: counts valid signatures (BTTC rules),
    ///         pays the checkpoint reward and advances the epoch.
    function checkSignatures(
        uint256 blockInterval,
        bytes32 voteHash,
        bytes32 stateRoot,
        address proposer,
        uint256[3][] calldata sigs
    ) external override onlyRootChain returns (uint256 reward) {
        (uint256 signed, bool[] memory signedIds) = _countSignatures(voteHash, sigs);
        accountStateRoot = stateRoot;
        reward = _reward(blockInterval, proposer, signed, signedIds);
        _advanceEpoch();
    }

    /// @notice TRON side of an Ethereum/BSC checkpoint: data = abi.encode(proposer, start, end,
    ///         checkpointNumber, rootChainId), signed 0x01-prefixed by 2/3+1 of the validators.
    ///         Numbers follow each other per root chain, so a record is taken once: a replay (or a
    ///         second submitter racing the first) reverts on the number, before any signature work.
    ///         Anyone may send it, as in BTTC: the signatures are the authority, not the sender.
    function submitCheckpointSync(bytes calldata data, uint256[3][] calldata sigs) external {
        require(data.length == 160, "StakeManager: sync data must be 5 words");
        (address proposer, uint256 start, uint256 end, uint256 checkpointNumber, uint256 rootChainId) =
            abi.decode(data, (address, uint256, uint256, uint256, uint256));
        require(currentHeaderBlockId[rootChainId] + 1 == checkpointNumber, "StakeManager: checkpoint number must follow the last synced one");
        require(end >= start, "StakeManager: end before start");
        (uint256 signed, bool[] memory signedIds) = _countSignatures(keccak256(abi.encodePacked(bytes1(0x01), data)), sigs);
        currentHeaderBlockId[rootChainId] = checkpointNumber;
        _reward(end - start + 1, proposer, signed, signedIds);
        logger.logCheckpointAck(proposer, rootChainId, checkpointNumber, start, end);
    }

    // ------------------------------------------------------------- slashing

    modifier onlySlashingManager() {
        require(msg.sender == slashingManager && msg.sender != address(0), "StakeManager: only the SlashingManager");
        _;
    }

    /// Checkpoint signature rules for a slash batch: same loop, no reward, no new epoch.
    function checkSlashSignatures(bytes32 voteHash, uint256[3][] calldata sigs) external view onlySlashingManager returns (uint256 signed) {
        (signed, ) = _countSignatures(voteHash, sigs);
    }

    /// Cuts `selfBps` of the own stake (a partnership's partners pro rata) and `delegatorBps` of
    /// the delegated stake (the ValidatorShare's exchange rate drops), burns the matching voting
    /// units, and jails for `jailEpochs` (0: no jail). Rewards are settled first, so a jailed
    /// validator and its delegators lose only what the jailed epochs would have earned.
    function slash(uint256 validatorId, uint256 selfBps, uint256 delegatorBps, uint256 jailEpochs)
        external
        onlySlashingManager
        returns (uint256 selfCut, uint256 delegatorCut)
    {
        require(selfBps <= 10000 && delegatorBps <= 10000, "StakeManager: slash above 100%");
        Validator storage v = validators[validatorId];
        require(v.status == Status.Active || v.status == Status.Locked, "StakeManager: not a staked validator");
        _settle(v);
        selfCut = (v.amount * selfBps) / 10000;
        uint256 leaving; // leaving partners' unbonding stake: outside totalStaked, like the withdraw pool
        if (selfCut > 0) {
            address partnership = partnershipOf[validatorId];
            if (partnership != address(0)) {
                (selfCut, leaving) = ValidatorPartnership(partnership).onSlash(selfCut, selfBps);
            } else if (v.deactivationEpoch == 0) {
                // An unstaking validator's units were burnt when unbonding started.
                stakeVotes.burn(NFTContract.ownerOf(validatorId), selfCut);
            }
            v.amount -= selfCut;
        }
        uint256 delegated = v.delegatedAmount;
        delegatorCut = (delegated * delegatorBps) / 10000;
        totalStaked -= selfCut + delegatorCut;
        if (delegatorBps > 0) {
            v.delegatedAmount = delegated - delegatorCut;
            // Unbonding delegators' stake (outside totalStaked) is cut at the same rate.
            delegatorCut += ValidatorShare(v.contractAddress).onSlash(delegated, delegated - delegatorCut, delegatorBps);
        }
        selfCut += leaving;
        totalSlashed += selfCut + delegatorCut;
        if (jailEpochs > 0 && v.deactivationEpoch == 0) {
            uint256 until = currentEpoch + jailEpochs;
            if (until > jailedUntil[validatorId]) jailedUntil[validatorId] = until;
            if (v.status == Status.Active) {
                v.status = Status.Locked;
                stakerCount -= 1;
            }
            logger.logJailed(validatorId, jailedUntil[validatorId], v.signer);
        }
        logger.logStakeUpdate(validatorId);
    }

    /// BTTC's Slashed(nonce, amount) for a whole batch.
    function logSlashed(uint256 nonce, uint256 amount) external onlySlashingManager {
        logger.logSlashed(nonce, amount);
    }

    /// The owner brings a jailed validator back once the jail is over.
    function unjail(uint256 validatorId) external onlyStaker(validatorId) {
        Validator storage v = validators[validatorId];
        require(v.status == Status.Locked, "StakeManager: validator is not jailed");
        require(currentEpoch >= jailedUntil[validatorId], "StakeManager: jail not over");
        require(v.deactivationEpoch == 0, "StakeManager: validator is unstaking");
        _settle(v);
        v.status = Status.Active;
        jailedUntil[validatorId] = 0;
        stakerCount += 1;
        logger.logUnjailed(validatorId, v.signer);
    }

    // -------------------------------------------------------------- private

    /// BTTC's loop: a repeated signer is skipped, a signer lower than the last counted one ends
    /// the loop, signers that are not active validators are ignored; then count >= n*2/3 + 1.
    /// Also marks, by validator id, who signed (the reward goes to them).
    function _countSignatures(bytes32 voteHash, uint256[3][] calldata sigs) private view returns (uint256 signed, bool[] memory signedIds) {
        uint256 needed = (stakerCount * 2) / 3 + 1;
        require(sigs.length >= needed, "2/3+1 non-majority!");
        uint256 epochNow = currentEpoch;
        signedIds = new bool[](NFTCounter);
        address last;
        for (uint256 i = 0; i < sigs.length; ++i) {
            address signer = _recover(voteHash, sigs[i]);
            if (signer == last) continue;
            if (signer < last) break;
            uint256 id = signerToValidator[signer];
            Validator storage v = validators[id];
            if (_isActive(v.status, v.activationEpoch, v.deactivationEpoch, epochNow)) {
                last = signer;
                ++signed;
                signedIds[id] = true;
            }
        }
        require(signed >= needed, "2/3+1 non-majority!");
    }

    /// ecrecover with BTTC's limits: v in {27, 28} and s <= n/2; anything else recovers to zero.
    function _recover(bytes32 hash, uint256[3] calldata sig) private pure returns (address) {
        uint256 v = sig[2];
        if ((v != 27 && v != 28) || sig[1] > HALF_N) return address(0);
        return ecrecover(hash, uint8(v), bytes32(sig[0]), bytes32(sig[1]));
    }

    /// BTTC's rule: the full reward scales with the checkpoint's length (capped at one interval) and
    /// with the share of stake that signed; the proposer bonus comes off first; the rest raises the
    /// reward per staked token of the signers. Validators that did not sign are settled at the old
    /// rate and skip this raise. Only validators earning rewards (active, not unstaking) count
    /// towards either stake total.
    function _reward(uint256 blockInterval, address proposer, uint256 signed, bool[] memory signedIds) private returns (uint256 reward) {
        uint256 interval = checkPointBlockInterval;
        uint256 n = signedIds.length;
        uint256 totalStake;
        uint256 signedStake;
        for (uint256 id = 1; id < n; ++id) {
            Validator storage v = validators[id];
            if (!_earns(v)) continue;
            uint256 st = v.amount + v.delegatedAmount;
            totalStake += st;
            if (signedIds[id]) signedStake += st;
        }
        reward = (checkpointReward * (blockInterval < interval ? blockInterval : interval)) / interval;
        if (totalStake > 0) reward = (reward * signedStake) / totalStake;
        uint256 bonus = (reward * proposerBonus) / MAX_PROPOSER_BONUS;
        uint256 proposerId = signerToValidator[proposer];
        if (proposerId != 0 && isValidator(proposerId)) validators[proposerId].reward += bonus;
        else bonus = 0;
        uint256 oldRate = rewardPerStake;
        uint256 newRate = signedStake == 0 ? oldRate : oldRate + ((reward - bonus) * REWARD_PRECISION) / signedStake;
        if (newRate != oldRate) {
            for (uint256 id = 1; id < n; ++id) {
                if (signedIds[id]) continue;
                Validator storage v = validators[id];
                _accrue(v, oldRate);
                v.rewardSnapshot = newRate;
            }
            rewardPerStake = newRate;
        }
        totalRewards += reward;
        emit CheckpointRewarded(currentEpoch, proposerId, reward, bonus, signed);
    }

    function _advanceEpoch() private {
        uint256 next = currentEpoch + 1;
        int256 change = stakerCountChanges[next];
        if (change != 0) {
            stakerCount = uint256(int256(stakerCount) + change);
            delete stakerCountChanges[next];
        }
        currentEpoch = next;
        emit NewEpoch(next, stakerCount);
    }

    function _earns(Validator storage v) private view returns (bool) {
        return v.status == Status.Active && v.deactivationEpoch == 0;
    }

    /// Reward earned since the snapshot up to `rate`: (validator's part incl. commission, delegators' part).
    function _split(Validator storage v, uint256 rate) private view returns (uint256 own, uint256 delegators) {
        uint256 snap = v.rewardSnapshot;
        if (rate <= snap || !_earns(v)) return (0, 0);
        uint256 selfStake = v.amount;
        uint256 delegated = v.delegatedAmount;
        uint256 stakeTotal = selfStake + delegated;
        uint256 earned = ((rate - snap) * stakeTotal) / REWARD_PRECISION;
        if (delegated > 0) {
            delegators = (earned * delegated) / stakeTotal;
            uint256 commission = (delegators * v.commissionRate) / MAX_COMMISION_RATE;
            delegators -= commission;
        }
        own = earned - delegators;
    }

    function _accrue(Validator storage v, uint256 rate) private {
        (uint256 own, uint256 delegators) = _split(v, rate);
        v.reward += own;
        v.delegatorsReward += delegators;
        v.rewardSnapshot = rate;
    }

    function _settle(Validator storage v) private {
        _accrue(v, rewardPerStake);
    }

    /// EIP-1167 minimal proxy delegating every call to `impl`.
    function _clone(address impl) private returns (address instance) {
        bytes memory code = abi.encodePacked(hex"3d602d80600a3d3981f3363d3d373d3d3d363d73", impl, hex"5af43d82803e903d91602b57fd5bf3");
        assembly {
            instance := create(0, add(code, 0x20), mload(code))
        }
        require(instance != address(0), "StakeManager: clone creation failed");
    }

    function _liquidate(uint256 validatorId, address to, uint256 reward) private {
        uint256 total = totalRewardsLiquidated + reward;
        totalRewardsLiquidated = total;
        if (reward > 0) require(token.transfer(to, reward), "StakeManager: reward pool too low");
        logger.logClaimRewards(validatorId, reward, total);
    }

    function _topUp(address user, address from, uint256 fee, uint256 extra) private {
        require(fee >= minHeimdallFee, "StakeManager: fee too small");
        require(token.transferFrom(from, address(this), fee + extra), "StakeManager: transfer failed");
        totalHeimdallFee += fee;
        logger.logTopUpFee(user, fee);
    }

    function _signerOf(bytes calldata pub) private view returns (address signer) {
        require(pub.length == 64, "StakeManager: signer pubkey must be 64 bytes (x, y)");
        signer = address(uint160(uint256(keccak256(pub))));
        require(signer != address(0) && signerToValidator[signer] == 0, "StakeManager: signer already in use");
    }

    /// Active = status Active (a jailed validator is Locked) and inside its epochs.
    function _isActive(Status status, uint256 activation, uint256 deactivation, uint256 epochNow) private pure returns (bool) {
        return status == Status.Active && activation <= epochNow && (deactivation == 0 || deactivation > epochNow);
    }
}
