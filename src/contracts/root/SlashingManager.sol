// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice What the SlashingManager needs from the StakeManager (all gated to the SlashingManager).
interface IStakeManagerSlashing {
    function checkSlashSignatures(bytes32 voteHash, uint256[3][] calldata sigs) external view returns (uint256 signed);

    function slash(uint256 validatorId, uint256 selfBps, uint256 delegatorBps, uint256 jailEpochs) external returns (uint256 selfCut, uint256 delegatorCut);

    function logSlashed(uint256 nonce, uint256 amount) external;
}

/// @title SlashingManager: applies the final slashes Delivery's validators voted (issue 19).
/// @notice Written for bttc-node (BTTC's own SlashingManager is a stub: slashing is off on mainnet).
///         `updateSlashedAmounts(data, sigs)` follows the checkpoint rules: the validators sign
///         keccak256(0x01 ‖ data) and 2/3+1 of the active set must have signed (StakeManager's
///         loop: signers ascending, repeats skipped). data = abi.encode(uint256 slashingNonce,
///         address proposer, bytes slashes) with slashes = abi.encode(Slash[]). Nonces follow each
///         other (a replayed batch reverts before any signature work) and one evidence hash is
///         applied once, whatever batch carries it. Anyone may send it: the signatures are the authority.
contract SlashingManager {
    struct Slash {
        uint256 validatorId;
        /// Basis points of the operator's own stake (partners pro rata).
        uint256 selfBps;
        /// Basis points of the delegated stake (non-zero only for double signing).
        uint256 delegatorBps;
        /// Epochs (checkpoints) in jail; 0 for none.
        uint256 jailEpochs;
        /// The evidence id (hash of its canonical encoding) in Delivery.
        bytes32 evidenceHash;
    }

    IStakeManagerSlashing public immutable stakeManager;
    uint256 public slashingNonce;
    mapping(bytes32 => bool) public applied;

    /// One per applied slash, with the evidence hash that ties it to Delivery's record.
    event SlashApplied(uint256 indexed nonce, uint256 indexed validatorId, bytes32 indexed evidenceHash, uint256 selfAmount, uint256 delegatorAmount, uint256 jailEpochs);

    constructor(address _stakeManager) {
        require(_stakeManager != address(0), "SlashingManager: zero address");
        stakeManager = IStakeManagerSlashing(_stakeManager);
    }

    function updateSlashedAmounts(bytes calldata data, uint256[3][] calldata sigs) external {
        (uint256 nonce, , bytes memory list) = abi.decode(data, (uint256, address, bytes));
        require(nonce == slashingNonce + 1, "SlashingManager: invalid slashing nonce");
        stakeManager.checkSlashSignatures(keccak256(abi.encodePacked(bytes1(0x01), data)), sigs);
        slashingNonce = nonce;
        Slash[] memory slashes = abi.decode(list, (Slash[]));
        require(slashes.length > 0, "SlashingManager: empty batch");
        uint256 total;
        for (uint256 i = 0; i < slashes.length; ++i) {
            Slash memory s = slashes[i];
            require(!applied[s.evidenceHash], "SlashingManager: evidence already applied");
            applied[s.evidenceHash] = true;
            (uint256 selfCut, uint256 delegatorCut) = stakeManager.slash(s.validatorId, s.selfBps, s.delegatorBps, s.jailEpochs);
            total += selfCut + delegatorCut;
            emit SlashApplied(nonce, s.validatorId, s.evidenceHash, selfCut, delegatorCut, s.jailEpochs);
        }
        stakeManager.logSlashed(nonce, total);
    }
}
