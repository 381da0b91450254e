export { LocalTransport, LocalPrimitives } from './transport.ts';
