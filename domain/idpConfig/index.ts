export { checkCertificate } from './certificates.js';
export { type CheckedEdit, type ConnectionEdit, checkConnectionEdit } from './edit.js';
export { type IdpConfigValidation, type ValidIdpConfig, validateIdpConfig } from './validate.js';
