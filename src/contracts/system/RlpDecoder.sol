// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Minimal RLP reading over memory bytes, enough for what Bttc's system calls carry: a list of
/// items, each a byte string (uint, address, bytes) or a nested list. Every read is bounds-checked
/// against its parent item so malformed input reverts instead of reading past the buffer.
library RlpDecoder {
    struct Item {
        uint256 offset; // absolute offset of the payload in `buf`
        uint256 length; // payload length
        bool isList;
    }

    function _byteAt(bytes memory buf, uint256 i) private pure returns (uint8 b) {
        require(i < buf.length, "RLP: out of bounds");
        assembly {
            b := byte(0, mload(add(add(buf, 0x20), i)))
        }
    }

    function _beUint(bytes memory buf, uint256 start, uint256 len) private pure returns (uint256 v) {
        require(len <= 32 && start + len <= buf.length, "RLP: bad integer");
        for (uint256 i = 0; i < len; i++) v = (v << 8) | _byteAt(buf, start + i);
    }

    /// The item starting at `pos`; returns it and the offset just after it.
    function itemAt(bytes memory buf, uint256 pos) internal pure returns (Item memory it, uint256 next) {
        uint8 p = _byteAt(buf, pos);
        if (p < 0x80) {
            it = Item(pos, 1, false);
        } else if (p < 0xb8) {
            it = Item(pos + 1, p - 0x80, false);
        } else if (p < 0xc0) {
            uint256 ll = p - 0xb7;
            it = Item(pos + 1 + ll, _beUint(buf, pos + 1, ll), false);
        } else if (p < 0xf8) {
            it = Item(pos + 1, p - 0xc0, true);
        } else {
            uint256 ll = p - 0xf7;
            it = Item(pos + 1 + ll, _beUint(buf, pos + 1, ll), true);
        }
        next = it.offset + it.length;
        require(next <= buf.length, "RLP: item exceeds input");
    }

    function root(bytes memory buf) internal pure returns (Item memory it) {
        uint256 next;
        (it, next) = itemAt(buf, 0);
        require(next == buf.length, "RLP: trailing bytes");
    }

    function toList(bytes memory buf, Item memory list) internal pure returns (Item[] memory items) {
        require(list.isList, "RLP: not a list");
        uint256 end = list.offset + list.length;
        uint256 count = 0;
        uint256 pos = list.offset;
        while (pos < end) {
            (, pos) = itemAt(buf, pos);
            count++;
        }
        require(pos == end, "RLP: list length mismatch");
        items = new Item[](count);
        pos = list.offset;
        for (uint256 i = 0; i < count; i++) (items[i], pos) = itemAt(buf, pos);
    }

    function toUint(bytes memory buf, Item memory it) internal pure returns (uint256) {
        require(!it.isList, "RLP: list where an integer was expected");
        return _beUint(buf, it.offset, it.length);
    }

    function toAddress(bytes memory buf, Item memory it) internal pure returns (address) {
        require(!it.isList && it.length == 20, "RLP: address must be 20 bytes");
        return address(uint160(_beUint(buf, it.offset, 20)));
    }

    function toBytes(bytes memory buf, Item memory it) internal pure returns (bytes memory out) {
        require(!it.isList, "RLP: list where bytes were expected");
        out = new bytes(it.length);
        for (uint256 i = 0; i < it.length; i++) out[i] = buf[it.offset + i];
    }
}
