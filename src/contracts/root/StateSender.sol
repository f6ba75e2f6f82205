// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title StateSender: the root-chain end of state sync.
/// @notice A registered sender contract calls `syncState(receiver, data)`; Delivery picks up the
///         `StateSynced` event and relays it to `receiver` on Bttc. Each root chain keeps its own
///         counter; Delivery assigns the global id.
contract StateSender {
    address public owner;
    uint256 public counter;
    /// receiver on Bttc => the only sender allowed to target it.
    mapping(address => address) public registrations;

    event NewRegistration(address indexed user, address indexed sender, address indexed receiver);
    event RegistrationUpdated(address indexed user, address indexed sender, address indexed receiver);
    event StateSynced(uint256 indexed id, address indexed contractAddress, bytes data);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    constructor(address initialOwner) {
        owner = initialOwner;
        emit OwnershipTransferred(address(0), initialOwner);
    }

    function transferOwnership(address newOwner) external {
        require(msg.sender == owner, "StateSender: only owner");
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    function register(address sender, address receiver) external {
        require(msg.sender == owner, "StateSender: only owner registers");
        require(sender != address(0) && receiver != address(0), "StateSender: zero address");
        if (registrations[receiver] == address(0)) emit NewRegistration(msg.sender, sender, receiver);
        else emit RegistrationUpdated(msg.sender, sender, receiver);
        registrations[receiver] = sender;
    }

    function syncState(address receiver, bytes calldata data) external {
        require(registrations[receiver] == msg.sender, "StateSender: sender not registered for receiver");
        uint256 id = counter + 1;
        counter = id;
        emit StateSynced(id, receiver, data);
    }
}
