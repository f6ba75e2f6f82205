// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice Who may write voting units: the StakeManager, and the contracts it registered
///         (validators' ValidatorShares and ValidatorPartnerships).
interface IVotesWriters {
    function isVotesWriter(address who) external view returns (bool);
}

/// @title StakeVotes: checkpointed voting power of staked BTT (ERC-5805 reads, ERC-6372 block clock).
/// @notice Written for bttc-node (the OpenZeppelin `Votes` pattern, own code). An account's voting
///         units are the stake it owns: a delegator's stake in a ValidatorShare, a validator's own
///         stake (its owner's, or each partner's in a ValidatorPartnership). Units count for the
///         account's delegatee; an account that never delegated counts for itself (unlike OZ, where
///         undelegated units count for nobody), so the sum of every account's votes is always the
///         total supply. Every change writes a checkpoint keyed by block number and emits
///         `VotesMoved`, which alone is enough to recompute every account's power at any block
///         (`bttc-node audit voting-power`). Lookups are a binary search over the checkpoints.
contract StakeVotes {
    /// One slot: block number and value.
    struct Checkpoint {
        uint48 key;
        uint208 value;
    }

    IVotesWriters public immutable stakeManager;

    mapping(address => address) private _delegatee;
    mapping(address => uint256) private _units;
    mapping(address => Checkpoint[]) private _votes;
    Checkpoint[] private _total;

    event DelegateChanged(address indexed delegator, address indexed fromDelegate, address indexed toDelegate);
    event DelegateVotesChanged(address indexed delegate, uint256 previousVotes, uint256 newVotes);
    /// Every change of power: units created (from = 0), destroyed (to = 0) or re-delegated.
    event VotesMoved(address indexed account, address indexed fromDelegatee, address indexed toDelegatee, uint256 amount, uint256 blockNumber);

    constructor(address _stakeManager) {
        require(_stakeManager != address(0), "StakeVotes: zero address");
        stakeManager = IVotesWriters(_stakeManager);
    }

    modifier onlyWriter() {
        require(msg.sender == address(stakeManager) || stakeManager.isVotesWriter(msg.sender), "StakeVotes: only the StakeManager or its staking contracts");
        _;
    }

    // ---------------------------------------------------------------- ERC-6372

    function clock() public view returns (uint48) {
        return uint48(block.number);
    }

    function CLOCK_MODE() external pure returns (string memory) {
        return "mode=blocknumber&from=default";
    }

    // ---------------------------------------------------------------- ERC-5805 reads

    function getVotes(address account) external view returns (uint256) {
        Checkpoint[] storage c = _votes[account];
        uint256 n = c.length;
        return n == 0 ? 0 : c[n - 1].value;
    }

    function getPastVotes(address account, uint256 timepoint) external view returns (uint256) {
        require(timepoint < clock(), "StakeVotes: future lookup");
        return _lookup(_votes[account], timepoint);
    }

    function getPastTotalSupply(uint256 timepoint) external view returns (uint256) {
        require(timepoint < clock(), "StakeVotes: future lookup");
        return _lookup(_total, timepoint);
    }

    function totalSupply() external view returns (uint256) {
        uint256 n = _total.length;
        return n == 0 ? 0 : _total[n - 1].value;
    }

    /// The account itself until it delegates.
    function delegates(address account) public view returns (address) {
        address d = _delegatee[account];
        return d == address(0) ? account : d;
    }

    function votingUnits(address account) external view returns (uint256) {
        return _units[account];
    }

    function numCheckpoints(address account) external view returns (uint256) {
        return _votes[account].length;
    }

    // ---------------------------------------------------------------- delegation

    /// Moves all of the caller's units (present and future) to `delegatee`; delegating to oneself undoes it.
    function delegate(address delegatee) external {
        require(delegatee != address(0), "StakeVotes: cannot delegate to the zero address");
        address account = msg.sender;
        address from = delegates(account);
        _delegatee[account] = delegatee;
        emit DelegateChanged(account, from, delegatee);
        uint256 units = _units[account];
        if (from != delegatee && units > 0) {
            _push(_votes[from], from, false, units);
            _push(_votes[delegatee], delegatee, true, units);
            emit VotesMoved(account, from, delegatee, units, block.number);
        }
    }

    // ---------------------------------------------------------------- writers

    function mint(address account, uint256 amount) external onlyWriter {
        if (amount == 0) return;
        require(account != address(0), "StakeVotes: zero account");
        _units[account] += amount;
        address to = delegates(account);
        _pushTotal(true, amount);
        _push(_votes[to], to, true, amount);
        emit VotesMoved(account, address(0), to, amount, block.number);
    }

    function burn(address account, uint256 amount) external onlyWriter {
        if (amount == 0) return;
        uint256 units = _units[account];
        require(units >= amount, "StakeVotes: burning more units than the account has");
        _units[account] = units - amount;
        address from = delegates(account);
        _pushTotal(false, amount);
        _push(_votes[from], from, false, amount);
        emit VotesMoved(account, from, address(0), amount, block.number);
    }

    // ---------------------------------------------------------------- checkpoints

    function _push(Checkpoint[] storage c, address delegatee, bool add, uint256 amount) private {
        (uint256 oldV, uint256 newV) = _write(c, add, amount);
        emit DelegateVotesChanged(delegatee, oldV, newV);
    }

    function _pushTotal(bool add, uint256 amount) private {
        _write(_total, add, amount);
    }

    function _write(Checkpoint[] storage c, bool add, uint256 amount) private returns (uint256 oldV, uint256 newV) {
        uint256 n = c.length;
        oldV = n == 0 ? 0 : c[n - 1].value;
        newV = add ? oldV + amount : oldV - amount;
        require(newV <= type(uint208).max, "StakeVotes: value overflows 208 bits");
        // Always a new checkpoint, even for a second change in the same block (the lookup takes the
        // last one of a block): overwriting would make a transaction's gas depend on whether another
        // change landed in its block first, and eth_estimateGas (run against the latest block's
        // number) would then under-estimate the first change of every block by a fresh slot.
        c.push(Checkpoint({key: uint48(block.number), value: uint208(newV)}));
    }

    /// Value of the last checkpoint with key <= timepoint (0 before the first): binary search for the
    /// first key above timepoint, so of several checkpoints in one block the last one counts.
    function _lookup(Checkpoint[] storage c, uint256 timepoint) private view returns (uint256) {
        uint256 low = 0;
        uint256 high = c.length;
        while (low < high) {
            uint256 mid = (low + high) >> 1;
            if (c[mid].key > timepoint) high = mid;
            else low = mid + 1;
        }
        return high == 0 ? 0 : c[high - 1].value;
    }
}
