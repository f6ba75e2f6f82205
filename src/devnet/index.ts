export { createDevnet, readLayout, setFollowers, nodeDir, DEFAULT_PORTS, type DevnetLayout, type DevnetPorts } from './setup.ts';
export { DevnetSupervisor, type DevnetSnapshot } from './supervisor.ts';
export { statusTable, statusLine } from './status.ts';
