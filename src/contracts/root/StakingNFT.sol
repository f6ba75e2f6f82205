// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice The StakeManager is told of every transfer, so the self-stake's voting power follows the owner.
interface IValidatorTransferHook {
    function onValidatorTransfer(uint256 validatorId, address from, address to) external;
}

/// @title StakingNFT: one identity token per validator.
/// @notice Token ids are validator ids (from 1, assigned by the StakeManager). An address holds at
///         most one position, so "the validator of an owner" is well defined; a transfer to an
///         address that already holds one is refused. Only the StakeManager that created this
///         contract mints and burns.
contract StakingNFT {
    string public constant name = "BTTC Validator";
    string public constant symbol = "BTTV";

    address public immutable stakeManager;

    mapping(uint256 => address) private _owners;
    mapping(address => uint256) private _tokenOf;
    mapping(uint256 => address) public getApproved;
    mapping(address => mapping(address => bool)) public isApprovedForAll;

    event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
    event Approval(address indexed owner, address indexed approved, uint256 indexed tokenId);
    event ApprovalForAll(address indexed owner, address indexed operator, bool approved);

    modifier onlyStakeManager() {
        require(msg.sender == stakeManager, "StakingNFT: only the StakeManager");
        _;
    }

    constructor() {
        stakeManager = msg.sender;
    }

    function balanceOf(address owner) external view returns (uint256) {
        require(owner != address(0), "StakingNFT: zero address");
        return _tokenOf[owner] == 0 ? 0 : 1;
    }

    function ownerOf(uint256 tokenId) public view returns (address) {
        address owner = _owners[tokenId];
        require(owner != address(0), "StakingNFT: no such token");
        return owner;
    }

    /// @notice The validator id held by `owner`, 0 when it holds none.
    function tokenOf(address owner) external view returns (uint256) {
        return _tokenOf[owner];
    }

    function tokenOfOwnerByIndex(address owner, uint256 index) external view returns (uint256) {
        uint256 id = _tokenOf[owner];
        require(index == 0 && id != 0, "StakingNFT: owner index out of bounds");
        return id;
    }

    function mint(address to, uint256 tokenId) external onlyStakeManager {
        require(to != address(0), "StakingNFT: mint to zero address");
        require(_owners[tokenId] == address(0), "StakingNFT: token exists");
        require(_tokenOf[to] == 0, "StakingNFT: one validator per owner");
        _owners[tokenId] = to;
        _tokenOf[to] = tokenId;
        emit Transfer(address(0), to, tokenId);
    }

    function burn(uint256 tokenId) external onlyStakeManager {
        address owner = ownerOf(tokenId);
        delete getApproved[tokenId];
        delete _owners[tokenId];
        delete _tokenOf[owner];
        emit Transfer(owner, address(0), tokenId);
    }

    /// The StakeManager hands a validator to its new ValidatorPartnership (no approval involved;
    /// the partnership's voting units are booked by the partnership itself, so no hook).
    function move(uint256 tokenId, address to) external onlyStakeManager {
        _move(ownerOf(tokenId), to, tokenId);
    }

    function approve(address to, uint256 tokenId) external {
        address owner = ownerOf(tokenId);
        require(msg.sender == owner || isApprovedForAll[owner][msg.sender], "StakingNFT: not owner nor operator");
        getApproved[tokenId] = to;
        emit Approval(owner, to, tokenId);
    }

    function setApprovalForAll(address operator, bool approved) external {
        isApprovedForAll[msg.sender][operator] = approved;
        emit ApprovalForAll(msg.sender, operator, approved);
    }

    function transferFrom(address from, address to, uint256 tokenId) public {
        address owner = ownerOf(tokenId);
        require(owner == from, "StakingNFT: from is not the owner");
        require(msg.sender == owner || getApproved[tokenId] == msg.sender || isApprovedForAll[owner][msg.sender], "StakingNFT: not allowed");
        _move(from, to, tokenId);
        IValidatorTransferHook(stakeManager).onValidatorTransfer(tokenId, from, to);
    }

    function _move(address from, address to, uint256 tokenId) private {
        require(to != address(0), "StakingNFT: transfer to zero address");
        require(_tokenOf[to] == 0, "StakingNFT: one validator per owner");
        delete getApproved[tokenId];
        delete _tokenOf[from];
        _owners[tokenId] = to;
        _tokenOf[to] = tokenId;
        emit Transfer(from, to, tokenId);
    }

    function safeTransferFrom(address from, address to, uint256 tokenId) external {
        transferFrom(from, to, tokenId);
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == 0x80ac58cd || interfaceId == 0x01ffc9a7;
    }
}
