// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IPastVotes, IStakeManagerSigners, ITimelock} from "./IGovernor.sol";

/// @title Governor: proposals on the root chain, ballots off chain, the tally anchored by Delivery.
/// @notice Written for bttc-node (the OpenZeppelin Governor shape, own code). docs/governance.md.
///         1. `propose` (OZ's id: keccak256(abi.encode(targets, values, calldatas, descriptionHash))),
///            by an account holding `proposalThreshold` of voting power one block before.
///            snapshot = proposal block + votingDelay; voting closes after snapshot + votingPeriod.
///         2. Ballots are EIP-712 messages (`Ballot`, domain "BTTC Governor"/"1"/chain/this) that
///            never touch this contract: Delivery includes them in its blocks.
///         3. Delivery tallies them against StakeVotes' power at the snapshot and
///         4. anchors the result here with `submitTally(data, sigs)`: data is 12 words (below),
///            signed keccak256(0x01 ‖ data) by ⌊2n/3⌋+1 of StakeManager's active validators, counted
///            by the checkpoint rules (ascending signers, repeats skipped, a lower one ends the loop).
///            It is taken once, only after voting closed, and only if it names this Governor, this
///            chain, the proposal's snapshot and deadline, and StakeVotes' total power at the snapshot.
///            The outcome is computed here from the counts by Cosmos x/gov's rules with BTTC's
///            parameters, in BTTC's order (quorum, all-abstain, veto, threshold).
///         5. A passed proposal is queued in the Timelock by anyone and executed after its delay by
///            anyone. The Governor's own parameters change only through the Timelock.
contract Governor {
    /// x/gov tally parameters (BTTC mainnet genesis), per mille.
    uint256 public constant QUORUM_PERMILLE = 334;
    uint256 public constant THRESHOLD_PERMILLE = 500;
    uint256 public constant VETO_PERMILLE = 334;
    uint256 public constant TALLY_DATA_WORDS = 12;
    uint256 private constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    bytes32 public constant BALLOT_TYPEHASH = keccak256("Ballot(uint256 proposalId,uint8 support,address voter,uint256 nonce,string reason)");
    bytes32 private constant DOMAIN_TYPEHASH = keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    string public constant NAME = "BTTC Governor";
    string public constant VERSION = "1";

    /// Pending: before the snapshot. Active: voting. Tallying: closed, no tally anchored yet.
    enum ProposalState {
        Pending,
        Active,
        Tallying,
        Defeated,
        Succeeded,
        Queued,
        Executed
    }

    /// Outcome codes of `outcome` (and of TallyAnchored).
    uint8 public constant PASSED = 0;
    uint8 public constant NO_QUORUM = 1;
    uint8 public constant ALL_ABSTAIN = 2;
    uint8 public constant VETOED = 3;
    uint8 public constant REJECTED = 4;

    struct Proposal {
        address proposer;
        uint64 snapshot;
        uint64 deadline;
        bool tallied;
        bool passed;
        bool queued;
    }

    struct Tally {
        uint256 forVotes;
        uint256 againstVotes;
        uint256 abstainVotes;
        uint256 vetoVotes;
        uint256 totalPower;
        uint256 ballotCount;
        bytes32 manifestRoot;
    }

    IPastVotes public immutable votes;
    IStakeManagerSigners public immutable stakeManager;
    ITimelock public immutable timelock;

    uint256 public votingDelay;
    uint256 public votingPeriod;
    uint256 public proposalThreshold;

    mapping(uint256 => Proposal) private _proposals;
    mapping(uint256 => Tally) private _tallies;
    uint256[] private _ids;
    /// The Timelock's batch id of a queued proposal: executed directly on the Timelock or through
    /// `execute`, the proposal reads Executed once the Timelock marks that batch done.
    mapping(uint256 => bytes32) private _opIds;

    /// Delivery parameters governance may change, keyed by the name of Delivery's REST field (ASCII,
    /// left-aligned); 0 until governance first sets one (Delivery's genesis value applies).
    bytes32 public constant CHECKPOINT_BUFFER_TIME = "checkpoint_buffer_time";
    bytes32 public constant SPAN_DURATION = "span_duration";
    mapping(bytes32 => uint256) public deliveryParam;

    /// OpenZeppelin Governor's event, field for field (signatures are always empty strings).
    event ProposalCreated(
        uint256 proposalId,
        address proposer,
        address[] targets,
        uint256[] values,
        string[] signatures,
        bytes[] calldatas,
        uint256 voteStart,
        uint256 voteEnd,
        string description
    );
    event TallyAnchored(
        uint256 indexed proposalId,
        bytes32 manifestRoot,
        uint256 forVotes,
        uint256 againstVotes,
        uint256 abstainVotes,
        uint256 vetoVotes,
        uint256 totalPower,
        uint256 ballotCount,
        uint8 outcome,
        uint256 signed
    );
    event ProposalQueued(uint256 proposalId, uint256 etaSeconds);
    event ProposalExecuted(uint256 proposalId);
    event VotingDelaySet(uint256 oldVotingDelay, uint256 newVotingDelay);
    event VotingPeriodSet(uint256 oldVotingPeriod, uint256 newVotingPeriod);
    event ProposalThresholdSet(uint256 oldProposalThreshold, uint256 newProposalThreshold);
    /// A Delivery parameter changed (docs/governance.md "Delivery parameters"): Delivery mirrors it
    /// and applies it from the height after the one that tallies the mirrored event. oldValue 0: the
    /// genesis value (Delivery's own config) was in force.
    event ParamChanged(bytes32 indexed key, uint256 value, uint256 oldValue);

    modifier onlyTimelock() {
        require(msg.sender == address(timelock), "Governor: only the timelock");
        _;
    }

    constructor(address _votes, address _stakeManager, address _timelock, uint256 _votingDelay, uint256 _votingPeriod, uint256 _proposalThreshold) {
        require(_votes != address(0) && _stakeManager != address(0) && _timelock != address(0), "Governor: zero address");
        require(_votingPeriod > 0, "Governor: zero voting period");
        votes = IPastVotes(_votes);
        stakeManager = IStakeManagerSigners(_stakeManager);
        timelock = ITimelock(_timelock);
        votingDelay = _votingDelay;
        votingPeriod = _votingPeriod;
        proposalThreshold = _proposalThreshold;
    }

    // ---------------------------------------------------------------- EIP-712

    function DOMAIN_SEPARATOR() public view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256(bytes(NAME)), keccak256(bytes(VERSION)), block.chainid, address(this)));
    }

    /// The digest a voter signs (Delivery and `audit tally` compute the same in TypeScript).
    function hashBallot(uint256 proposalId, uint8 support, address voter, uint256 nonce, string calldata reason) external view returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(BALLOT_TYPEHASH, proposalId, support, voter, nonce, keccak256(bytes(reason))));
        return keccak256(abi.encodePacked(hex"1901", DOMAIN_SEPARATOR(), structHash));
    }

    // ---------------------------------------------------------------- proposals

    function hashProposal(address[] memory targets, uint256[] memory values, bytes[] memory calldatas, bytes32 descriptionHash) public pure returns (uint256) {
        return uint256(keccak256(abi.encode(targets, values, calldatas, descriptionHash)));
    }

    function propose(address[] memory targets, uint256[] memory values, bytes[] memory calldatas, string memory description) external returns (uint256 proposalId) {
        require(targets.length > 0, "Governor: empty proposal");
        require(targets.length == values.length && targets.length == calldatas.length, "Governor: invalid proposal length");
        uint256 power = votes.getPastVotes(msg.sender, block.number - 1);
        require(power >= proposalThreshold, "Governor: proposer votes below proposal threshold");
        proposalId = hashProposal(targets, values, calldatas, keccak256(bytes(description)));
        require(_proposals[proposalId].snapshot == 0, "Governor: proposal already exists");
        uint256 snapshot = block.number + votingDelay;
        uint256 deadline = snapshot + votingPeriod;
        _proposals[proposalId] = Proposal({proposer: msg.sender, snapshot: uint64(snapshot), deadline: uint64(deadline), tallied: false, passed: false, queued: false});
        _ids.push(proposalId);
        emit ProposalCreated(proposalId, msg.sender, targets, values, new string[](targets.length), calldatas, snapshot, deadline, description);
    }

    function proposalSnapshot(uint256 proposalId) external view returns (uint256) {
        return _proposals[proposalId].snapshot;
    }

    function proposalDeadline(uint256 proposalId) external view returns (uint256) {
        return _proposals[proposalId].deadline;
    }

    function proposalProposer(uint256 proposalId) external view returns (address) {
        return _proposals[proposalId].proposer;
    }

    function proposalCount() external view returns (uint256) {
        return _ids.length;
    }

    function proposalIdAt(uint256 index) external view returns (uint256) {
        return _ids[index];
    }

    function proposalTally(uint256 proposalId) external view returns (Tally memory) {
        require(_proposals[proposalId].tallied, "Governor: no tally anchored");
        return _tallies[proposalId];
    }

    function state(uint256 proposalId) public view returns (ProposalState) {
        Proposal storage p = _proposals[proposalId];
        require(p.snapshot != 0, "Governor: unknown proposal id");
        if (block.number <= p.snapshot) return ProposalState.Pending;
        if (block.number <= p.deadline) return ProposalState.Active;
        if (!p.tallied) return ProposalState.Tallying;
        if (!p.passed) return ProposalState.Defeated;
        if (!p.queued) return ProposalState.Succeeded;
        if (timelock.isDone(_operationId(proposalId))) return ProposalState.Executed;
        return ProposalState.Queued;
    }

    // ---------------------------------------------------------------- tally

    /// x/gov's tally in BTTC's order (spec §10): voted below quorum fails; all abstain fails; veto
    /// above its share of the votes fails; yes above the threshold of non-abstain passes; else fails.
    function outcome(uint256 forVotes, uint256 againstVotes, uint256 abstainVotes, uint256 vetoVotes, uint256 totalPower) public pure returns (uint8) {
        uint256 voted = forVotes + againstVotes + abstainVotes + vetoVotes;
        if (totalPower == 0 || voted * 1000 < QUORUM_PERMILLE * totalPower) return NO_QUORUM;
        if (abstainVotes == voted) return ALL_ABSTAIN;
        if (vetoVotes * 1000 > VETO_PERMILLE * voted) return VETOED;
        if (forVotes * 1000 > THRESHOLD_PERMILLE * (voted - abstainVotes)) return PASSED;
        return REJECTED;
    }

    /// Delivery's anchored tally: data = abi.encode(address governor, uint256 chainId, uint256 proposalId,
    /// uint256 snapshot, uint256 deadline, uint256 forVotes, uint256 againstVotes, uint256 abstainVotes,
    /// uint256 vetoVotes, uint256 totalPower, uint256 ballotCount, bytes32 manifestRoot). Anyone may
    /// send it: the validators' signatures are the authority.
    function submitTally(bytes calldata data, uint256[3][] calldata sigs) external {
        require(data.length == TALLY_DATA_WORDS * 32, "Governor: tally data must be 12 words");
        (address governor, uint256 chainId, uint256 proposalId, uint256 snapshot, uint256 deadline) = abi.decode(data[:160], (address, uint256, uint256, uint256, uint256));
        require(governor == address(this) && chainId == block.chainid, "Governor: tally for another governor or chain");
        Proposal storage p = _proposals[proposalId];
        require(p.snapshot != 0, "Governor: unknown proposal id");
        require(!p.tallied, "Governor: tally already anchored");
        require(block.number > p.deadline, "Governor: voting not closed");
        require(snapshot == p.snapshot && deadline == p.deadline, "Governor: tally snapshot or deadline differs from the proposal");
        Tally memory t;
        (t.forVotes, t.againstVotes, t.abstainVotes, t.vetoVotes, t.totalPower, t.ballotCount, t.manifestRoot) =
            abi.decode(data[160:], (uint256, uint256, uint256, uint256, uint256, uint256, bytes32));
        require(t.totalPower == votes.getPastTotalSupply(snapshot), "Governor: tally total power differs from the snapshot");
        require(t.forVotes + t.againstVotes + t.abstainVotes + t.vetoVotes <= t.totalPower, "Governor: tally counts exceed the total power");
        uint256 signed = _countSignatures(keccak256(abi.encodePacked(bytes1(0x01), data)), sigs);
        uint8 o = outcome(t.forVotes, t.againstVotes, t.abstainVotes, t.vetoVotes, t.totalPower);
        p.tallied = true;
        p.passed = o == PASSED;
        _tallies[proposalId] = t;
        emit TallyAnchored(proposalId, t.manifestRoot, t.forVotes, t.againstVotes, t.abstainVotes, t.vetoVotes, t.totalPower, t.ballotCount, o, signed);
    }

    // ---------------------------------------------------------------- execution

    function queue(address[] calldata targets, uint256[] calldata values, bytes[] calldata calldatas, bytes32 descriptionHash) external returns (uint256 proposalId) {
        proposalId = hashProposal(targets, values, calldatas, descriptionHash);
        require(state(proposalId) == ProposalState.Succeeded, "Governor: proposal not successful");
        _proposals[proposalId].queued = true;
        bytes32 op = timelock.scheduleBatch(targets, values, calldatas, bytes32(proposalId));
        _opIds[proposalId] = op;
        emit ProposalQueued(proposalId, timelock.readyAt(op));
    }

    /// Anyone, after the Timelock's delay (the Timelock's executeBatch may also be called directly).
    function execute(address[] calldata targets, uint256[] calldata values, bytes[] calldata calldatas, bytes32 descriptionHash) external payable returns (uint256 proposalId) {
        proposalId = hashProposal(targets, values, calldatas, descriptionHash);
        require(state(proposalId) == ProposalState.Queued, "Governor: proposal not queued");
        timelock.executeBatch{value: msg.value}(targets, values, calldatas, bytes32(proposalId));
        emit ProposalExecuted(proposalId);
    }

    function _operationId(uint256 proposalId) private view returns (bytes32) {
        return _opIds[proposalId];
    }

    // ---------------------------------------------------------------- parameters (Timelock only)

    function setVotingDelay(uint256 newVotingDelay) external onlyTimelock {
        emit VotingDelaySet(votingDelay, newVotingDelay);
        votingDelay = newVotingDelay;
    }

    function setVotingPeriod(uint256 newVotingPeriod) external onlyTimelock {
        require(newVotingPeriod > 0, "Governor: zero voting period");
        emit VotingPeriodSet(votingPeriod, newVotingPeriod);
        votingPeriod = newVotingPeriod;
    }

    function setProposalThreshold(uint256 newProposalThreshold) external onlyTimelock {
        emit ProposalThresholdSet(proposalThreshold, newProposalThreshold);
        proposalThreshold = newProposalThreshold;
    }

    /// checkpoint_buffer_time in seconds, 1 s to 1 day; span_duration in Bttc blocks, 1 to 10^7
    /// (Delivery's config bounds; Delivery also requires a multiple of its sprint). A key Delivery
    /// does not know is refused here, so nothing is emitted that no node would apply.
    function setDeliveryParam(bytes32 key, uint256 value) external onlyTimelock {
        if (key == CHECKPOINT_BUFFER_TIME) require(value >= 1 && value <= 86400, "Governor: checkpoint_buffer_time out of range");
        else if (key == SPAN_DURATION) require(value >= 1 && value <= 10000000, "Governor: span_duration out of range");
        else revert("Governor: unknown delivery param");
        emit ParamChanged(key, value, deliveryParam[key]);
        deliveryParam[key] = value;
    }

    // ---------------------------------------------------------------- signatures

    /// StakeManager's checkpoint rule over its public state: at least ⌊2n/3⌋+1 signatures of active
    /// validators, ascending by signer; a repeated signer is skipped, a lower one ends the loop,
    /// a non-validator is ignored; v ∈ {27, 28} and low s, else the signer recovers to zero.
    function _countSignatures(bytes32 voteHash, uint256[3][] calldata sigs) private view returns (uint256 signed) {
        uint256 needed = (stakeManager.stakerCount() * 2) / 3 + 1;
        require(sigs.length >= needed, "2/3+1 non-majority!");
        uint256 epochNow = stakeManager.currentEpoch();
        address last;
        for (uint256 i = 0; i < sigs.length; ++i) {
            address signer = _recover(voteHash, sigs[i]);
            if (signer == last) continue;
            if (signer < last) break;
            uint256 id = stakeManager.signerToValidator(signer);
            if (id == 0) continue;
            (, , , , uint8 status, uint40 activation, uint40 deactivation) = stakeManager.validators(id);
            if (status == 1 && activation <= epochNow && (deactivation == 0 || deactivation > epochNow)) {
                last = signer;
                ++signed;
            }
        }
        require(signed >= needed, "2/3+1 non-majority!");
    }

    function _recover(bytes32 hash, uint256[3] calldata sig) private pure returns (address) {
        uint256 v = sig[2];
        if ((v != 27 && v != 28) || sig[1] > HALF_N) return address(0);
        return ecrecover(hash, uint8(v), bytes32(sig[0]), bytes32(sig[1]));
    }
}
