export { requestTag, type RequestTagConfig } from './request-tag.js';
