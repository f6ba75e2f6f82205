// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Audit-log anchors (docs/audit-log.md). Each validator node signs its event log in batches and
/// sends one `anchor(batch, digest)` per batch from its signer address. A digest is written once per
/// (node, batch): a second anchor for the same batch reverts, so what a node anchored cannot be
/// rewritten later. Bttc blocks are committed to the root chain by checkpoints, so the block holding
/// an anchor is covered by a root-chain header block. The devnet genesis holds this contract at
/// 0x0000000000000000000000000000000000001a0d (src/audit-log/anchor-contract.ts); no storage at genesis.
contract AuditAnchor {
    /// node (the sender) => batch number => batch digest
    mapping(address => mapping(uint256 => bytes32)) public digests;
    /// node => number of batches it anchored
    mapping(address => uint256) public anchorCount;

    event Anchored(address indexed node, uint256 indexed batch, bytes32 digest);

    function anchor(uint256 batch, bytes32 digest) external {
        require(digest != bytes32(0), "AuditAnchor: zero digest");
        require(digests[msg.sender][batch] == bytes32(0), "AuditAnchor: batch already anchored");
        digests[msg.sender][batch] = digest;
        anchorCount[msg.sender] += 1;
        emit Anchored(msg.sender, batch, digest);
    }
}
