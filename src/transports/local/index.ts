export { LocalTransport, LocalPrimitives } from './transport.ts';
export { LocalConnection } from './connection.ts';
