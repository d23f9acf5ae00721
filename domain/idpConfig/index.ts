export { type IdpConfigValidation, type ValidIdpConfig, validateIdpConfig } from './validate.js';
