export { DeliveryRestServer } from './server.ts';
export type { DeliveryQuery, RestServerOptions } from './interface.ts';
