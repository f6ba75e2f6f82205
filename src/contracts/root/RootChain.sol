// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ICheckpointSignatures} from "./IStakeManager.sol";

/// @title RootChain: checkpoints of the Bttc chain.
/// @notice `submitCheckpoint(bytes data, uint256[3][] sigs)` (selector 0x4e43e495) with BTTC's
///         7-word data: abi.encode(proposer, start, end, rootHash, accountRootHash, borChainId, epoch).
///         Header block ids are multiples of 10000. The contract holds no funds and can only ask the
///         StakeManager to check signatures.
contract RootChain {
    struct HeaderBlock {
        bytes32 root;
        uint256 start;
        uint256 end;
        uint256 createdAt;
        address proposer;
    }

    uint256 public constant MAX_DEPOSITS = 10000;
    /// The Bttc chain id every checkpoint must name.
    uint256 public immutable CHAINID;
    ICheckpointSignatures public immutable stakeManager;

    mapping(uint256 => HeaderBlock) public headerBlocks;
    uint256 private _nextHeaderBlock = MAX_DEPOSITS;

    event NewHeaderBlock(address indexed proposer, uint256 indexed headerBlockId, uint256 indexed reward, uint256 start, uint256 end, bytes32 root);

    constructor(address _stakeManager, uint256 borChainId) {
        require(_stakeManager != address(0), "RootChain: zero StakeManager");
        stakeManager = ICheckpointSignatures(_stakeManager);
        CHAINID = borChainId;
    }

    function submitCheckpoint(bytes calldata data, uint256[3][] calldata sigs) external {
        (HeaderBlock memory header, bytes32 accountHash) = _decode(data);
        uint256 headerId = _nextHeaderBlock;
        uint256 expectedStart = headerId > MAX_DEPOSITS ? headerBlocks[headerId - MAX_DEPOSITS].end + 1 : 0;
        require(header.start == expectedStart, "RootChain: start must be the previous end + 1");
        uint256 reward = stakeManager.checkSignatures(
            header.end - header.start + 1,
            keccak256(abi.encodePacked(bytes1(0x01), data)),
            accountHash,
            header.proposer,
            sigs
        );
        headerBlocks[headerId] = header;
        _nextHeaderBlock = headerId + MAX_DEPOSITS;
        emit NewHeaderBlock(header.proposer, headerId, reward, header.start, header.end, header.root);
    }

    function _decode(bytes calldata data) private view returns (HeaderBlock memory header, bytes32 accountHash) {
        require(data.length == 224, "RootChain: checkpoint data must be 7 words");
        uint256 borChainId;
        (header.proposer, header.start, header.end, header.root, accountHash, borChainId, ) =
            abi.decode(data, (address, uint256, uint256, bytes32, bytes32, uint256, uint256));
        require(borChainId == CHAINID, "RootChain: invalid bor chain id");
        require(header.end >= header.start, "RootChain: end before start");
        header.createdAt = block.timestamp;
    }

    function currentHeaderBlock() external view returns (uint256) {
        return _nextHeaderBlock - MAX_DEPOSITS;
    }

    /// The last Bttc block covered by a checkpoint (0 before the first one).
    function getLastChildBlock() external view returns (uint256) {
        return headerBlocks[_nextHeaderBlock - MAX_DEPOSITS].end;
    }
}
