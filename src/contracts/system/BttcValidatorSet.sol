// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {RlpDecoder} from "./RlpDecoder.sol";

/// The Bttc validator-set system contract at 0x…1000 (Bor's BorValidatorSet ABI). Spans are written
/// by the chain itself (`commitSpan` from the system address at sprint starts, spec §8); anyone can
/// read the producers of the span covering a block. Span 0 is written into storage at genesis.
contract BttcValidatorSet {
    using RlpDecoder for bytes;

    address public constant SYSTEM_ADDRESS = 0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE;

    struct Span {
        uint256 number;
        uint256 startBlock;
        uint256 endBlock;
    }

    struct Validator {
        uint256 id;
        uint256 power;
        address signer;
    }

    // Storage layout is relied on by the genesis writer (src/bttc/system/genesis.ts): do not reorder.
    uint256 public currentSpanNumber; // slot 0
    mapping(uint256 => Span) public spans; // slot 1
    mapping(uint256 => Validator[]) internal validators; // slot 2
    mapping(uint256 => Validator[]) internal producers; // slot 3
    uint256[] public spanNumbers; // slot 4

    event NewSpan(uint256 indexed id, uint256 indexed startBlock, uint256 indexed endBlock);

    modifier onlySystem() {
        require(msg.sender == SYSTEM_ADDRESS, "Not System Address!");
        _;
    }

    function commitSpan(uint256 newSpan, uint256 startBlock, uint256 endBlock, bytes calldata validatorBytes, bytes calldata producerBytes) external onlySystem {
        uint256 span = currentSpanNumber;
        require(newSpan == span + 1, "Invalid span id");
        require(endBlock > startBlock, "End block must be greater than start block");
        require(spans[span].endBlock + 1 == startBlock, "Start block must follow the current span");

        spanNumbers.push(newSpan);
        currentSpanNumber = newSpan;
        spans[newSpan] = Span(newSpan, startBlock, endBlock);
        _store(validators[newSpan], validatorBytes);
        _store(producers[newSpan], producerBytes);
        emit NewSpan(newSpan, startBlock, endBlock);
    }

    /// rlp([[id, power, signer], …]) as Bor encodes `MinimalVal`s.
    function _store(Validator[] storage list, bytes calldata encoded) internal {
        bytes memory buf = encoded;
        RlpDecoder.Item[] memory items = RlpDecoder.toList(buf, RlpDecoder.root(buf));
        for (uint256 i = 0; i < items.length; i++) {
            RlpDecoder.Item[] memory f = RlpDecoder.toList(buf, items[i]);
            require(f.length == 3, "Validator must be [id, power, signer]");
            list.push(Validator(RlpDecoder.toUint(buf, f[0]), RlpDecoder.toUint(buf, f[1]), RlpDecoder.toAddress(buf, f[2])));
        }
    }

    function getCurrentSpan() public view returns (uint256 number, uint256 startBlock, uint256 endBlock) {
        Span storage s = spans[currentSpanNumber];
        return (s.number, s.startBlock, s.endBlock);
    }

    function getSpan(uint256 span) public view returns (uint256 number, uint256 startBlock, uint256 endBlock) {
        Span storage s = spans[span];
        return (s.number, s.startBlock, s.endBlock);
    }

    /// The span covering `number`: the latest committed span whose range contains it (spans are
    /// committed in order and never overlap, so a backwards search from the newest finds it first).
    function getSpanByBlock(uint256 number) public view returns (uint256) {
        for (uint256 i = currentSpanNumber + 1; i > 0; i--) {
            Span storage s = spans[i - 1];
            if (s.startBlock <= number && number <= s.endBlock) return i - 1;
        }
        // Past the newest span: its producers carry on until the next is committed (as Bor does).
        return currentSpanNumber;
    }

    /// The producers of the span covering `number` (Bor's GetCurrentValidators reads this).
    function getBorValidators(uint256 number) public view returns (address[] memory, uint256[] memory) {
        return _list(producers[getSpanByBlock(number)]);
    }

    function getValidatorsBySpan(uint256 span) public view returns (address[] memory, uint256[] memory) {
        return _list(validators[span]);
    }

    function getProducersBySpan(uint256 span) public view returns (address[] memory, uint256[] memory) {
        return _list(producers[span]);
    }

    function _list(Validator[] storage list) internal view returns (address[] memory addrs, uint256[] memory powers) {
        addrs = new address[](list.length);
        powers = new uint256[](list.length);
        for (uint256 i = 0; i < list.length; i++) {
            addrs[i] = list[i].signer;
            powers[i] = list[i].power;
        }
    }
}
