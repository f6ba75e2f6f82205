// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title Timelock: executes what governance passed, after a delay, for anyone who asks.
/// @notice Written for bttc-node (the OpenZeppelin TimelockController pattern, own code, narrowed).
///         Roles:
///         - `proposer` (the Governor) schedules a batch of calls; nobody else can.
///         - anyone executes a scheduled batch once its delay has passed and it is not paused.
///         - `guardian` may pause, unpause and cancel: an emergency brake. It can neither schedule nor
///           execute, and execution is refused while paused, so the guardian can stop a change but
///           never make one.
///         - the Timelock itself (so only a passed, delayed proposal) changes the delay, the guardian
///           and the proposer. Root-contract parameters (StakeManager's onlyGovernance setters) are
///           owned by this contract once StakeManager.transferGovernance(timelock) has run.
contract Timelock {
    uint256 public constant MIN_DELAY = 1;
    uint256 public constant MAX_DELAY = 30 days;
    /// Timestamp marking an executed batch.
    uint256 private constant DONE = 1;

    address public proposer;
    address public guardian;
    /// Seconds between scheduling and the earliest execution.
    uint256 public delay;
    bool public paused;
    /// Batch id → earliest execution time (0 unknown, DONE executed).
    mapping(bytes32 => uint256) public readyAt;
    /// May call `initProposer` once (the Governor is deployed after the Timelock, knowing its address).
    address private deployer;

    event CallScheduled(bytes32 indexed id, address[] targets, uint256[] values, bytes[] calldatas, bytes32 salt, uint256 readyAt);
    event CallExecuted(bytes32 indexed id, address indexed executor);
    event Cancelled(bytes32 indexed id, address indexed guardian);
    event Paused(address indexed guardian);
    event Unpaused(address indexed guardian);
    event DelayChanged(uint256 oldDelay, uint256 newDelay);
    event GuardianChanged(address indexed oldGuardian, address indexed newGuardian);
    event ProposerChanged(address indexed oldProposer, address indexed newProposer);

    modifier onlySelf() {
        require(msg.sender == address(this), "Timelock: only the timelock itself");
        _;
    }

    modifier onlyGuardian() {
        require(msg.sender == guardian, "Timelock: only the guardian");
        _;
    }

    /// `_proposer` may be zero at deployment and set once by `initProposer` from the deployer (the
    /// Governor needs the Timelock's address first); after that only the Timelock changes it.
    constructor(address _proposer, address _guardian, uint256 _delay) {
        require(_guardian != address(0), "Timelock: zero guardian");
        require(_delay >= MIN_DELAY && _delay <= MAX_DELAY, "Timelock: delay out of range");
        proposer = _proposer;
        guardian = _guardian;
        delay = _delay;
        deployer = msg.sender;
    }

    /// Once, by the deployer, while no proposer is set; afterwards only through a proposal.
    function initProposer(address _proposer) external {
        require(msg.sender == deployer && proposer == address(0), "Timelock: proposer already set");
        require(_proposer != address(0), "Timelock: zero proposer");
        proposer = _proposer;
        deployer = address(0);
        emit ProposerChanged(address(0), _proposer);
    }

    function hashOperationBatch(address[] calldata targets, uint256[] calldata values, bytes[] calldata calldatas, bytes32 salt) public pure returns (bytes32) {
        return keccak256(abi.encode(targets, values, calldatas, salt));
    }

    function isReady(bytes32 id) public view returns (bool) {
        uint256 t = readyAt[id];
        return t > DONE && t <= block.timestamp;
    }

    function isDone(bytes32 id) external view returns (bool) {
        return readyAt[id] == DONE;
    }

    function scheduleBatch(address[] calldata targets, uint256[] calldata values, bytes[] calldata calldatas, bytes32 salt) external returns (bytes32 id) {
        require(msg.sender == proposer, "Timelock: only the proposer");
        require(targets.length > 0, "Timelock: empty batch");
        require(targets.length == values.length && targets.length == calldatas.length, "Timelock: length mismatch");
        id = hashOperationBatch(targets, values, calldatas, salt);
        require(readyAt[id] == 0, "Timelock: already scheduled");
        uint256 t = block.timestamp + delay;
        readyAt[id] = t;
        emit CallScheduled(id, targets, values, calldatas, salt, t);
    }

    /// Anyone, once ready and while not paused. A failing call reverts the whole batch with its reason.
    function executeBatch(address[] calldata targets, uint256[] calldata values, bytes[] calldata calldatas, bytes32 salt) external payable {
        require(!paused, "Timelock: paused");
        require(targets.length == values.length && targets.length == calldatas.length, "Timelock: length mismatch");
        bytes32 id = hashOperationBatch(targets, values, calldatas, salt);
        uint256 t = readyAt[id];
        require(t != 0, "Timelock: not scheduled");
        require(t != DONE, "Timelock: already executed");
        require(t <= block.timestamp, "Timelock: delay not passed");
        readyAt[id] = DONE;
        for (uint256 i = 0; i < targets.length; ++i) {
            (bool ok, bytes memory ret) = targets[i].call{value: values[i]}(calldatas[i]);
            if (!ok) {
                if (ret.length > 0) {
                    assembly {
                        revert(add(ret, 32), mload(ret))
                    }
                }
                revert("Timelock: call reverted");
            }
        }
        emit CallExecuted(id, msg.sender);
    }

    // ------------------------------------------------------------ guardian

    function pause() external onlyGuardian {
        require(!paused, "Timelock: already paused");
        paused = true;
        emit Paused(msg.sender);
    }

    function unpause() external onlyGuardian {
        require(paused, "Timelock: not paused");
        paused = false;
        emit Unpaused(msg.sender);
    }

    function cancel(bytes32 id) external onlyGuardian {
        uint256 t = readyAt[id];
        require(t > DONE, "Timelock: nothing pending to cancel");
        delete readyAt[id];
        emit Cancelled(id, msg.sender);
    }

    // ------------------------------------------------------------ self-governed

    function updateDelay(uint256 newDelay) external onlySelf {
        require(newDelay >= MIN_DELAY && newDelay <= MAX_DELAY, "Timelock: delay out of range");
        emit DelayChanged(delay, newDelay);
        delay = newDelay;
    }

    function setGuardian(address newGuardian) external onlySelf {
        require(newGuardian != address(0), "Timelock: zero guardian");
        emit GuardianChanged(guardian, newGuardian);
        guardian = newGuardian;
    }

    function setProposer(address newProposer) external onlySelf {
        require(newProposer != address(0), "Timelock: zero proposer");
        emit ProposerChanged(proposer, newProposer);
        proposer = newProposer;
    }

    receive() external payable {}
}
