export { type ValidIdpConfig, validateIdpConfig } from './validate.js';
