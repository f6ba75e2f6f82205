export { DeliveryRestServer } from './server.ts';
export type { RestRequest, RestRoute, RestServerOptions, RestSource } from './interface.ts';
