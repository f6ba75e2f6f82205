export { DeliveryRestServer } from './server.ts';
export type { RestRequest, RestResult, RestRoute, RestServerOptions, RestSource } from './interface.ts';
