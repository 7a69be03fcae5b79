export { refVerifierStub, type RefVerifierStubConfig } from './ref-verifier-stub.js';
